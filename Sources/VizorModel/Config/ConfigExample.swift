/// The commented example `vizor config init` writes. It parses as a valid
/// configuration (a test holds it to that), so operators start from
/// something that works once the named secrets exist.
public enum ConfigExample {
    public static let text = """
        # Vizor configuration.
        # Lives at $XDG_CONFIG_HOME/vizor/config.yaml (default ~/.config/vizor/config.yaml).
        # Without this file, vizor starts its built-in lab instead.
        # Check it with: vizor config check
        #
        # Secrets are never written in this file. Give each one by reference:
        #   {env: NAME}       an environment variable
        #   {file: PATH}      a file only you can read (chmod 600), ~ allowed
        #   {command: CMD}    a command whose standard output is the secret,
        #                     e.g. {command: "pass show vizor/cloudstack"}

        # The site commands act on when --site is not given.
        default_site: dc1

        sites:
          dc1:
            # XenServer pool master (XAPI over HTTPS).
            xenserver:
              url: https://xenserver.example.com
              username: root
              password: {env: VIZOR_XS_PASSWORD}
              verify_tls: true
            # CloudStack management server API endpoint.
            cloudstack:
              url: https://cloudstack.example.com/client/api
              api_key: {env: VIZOR_CS_API_KEY}
              secret_key: {env: VIZOR_CS_SECRET_KEY}
              # seconds between listings of VMs and templates
              poll_interval: 15
            # PuppetLabs Razor server API.
            razor:
              url: http://razor.example.com:8150/api
              # seconds between refreshes of nodes, policies, repos
              poll_interval: 120
              # wimboot's release files in Razor's repo_store_root (or http(s)
              # URLs); installs load the build their firmware can run
              wimboot:
                x86_64: wimboot
                i386: wimboot.i386
            # Directories (local or mounted shares) holding the ISOs.
            media:
              - name: isos
                path: /srv/isos
            # install jobs of this site that run at once (default 4)
            install_concurrency: 4

        # How installing machines reach the media (no ISO is ever copied).
        exposure:
          # HTTP server for boot files, read straight from inside the ISOs
          http_bind: 0.0.0.0:8080
          # the name installing machines reach this host by
          advertise_host: vizor.example.com
          # where the SMB views of ISOs are mounted (FUSE) for Windows Setup
          smb_share_root: /srv/vizor/smb
          # smb.conf holds `include = /etc/samba/vizor-shares.conf`; vizor
          # rewrites that file and asks smbd to reload (never restarts it)
          samba_include_file: /etc/samba/vizor-shares.conf
          # the Samba account (smbpasswd -a) WinPE maps the shares with; without
          # it the shares are open to guests, which Windows 10 1709+ refuses
          # samba_user: vizor-media
          # samba_password: {file: /etc/vizor/samba.password}
          # WinPE makes its HTTP requests with curl.exe, which an ISO's boot.wim
          # may lack; a curl.exe per architecture to inject (vizor doctor checks)
          # winpe_curl:
          #   amd64: /srv/vizor/curl/curl-amd64.exe
          #   x86: /srv/vizor/curl/curl-x86.exe

        # The iPXE boot ISO every install boots (vizor boot-iso build / publish):
        # the name it has on CloudStack and XenServer, and where Debian's ipxe,
        # isolinux, syslinux-common and mtools put its pieces (the defaults).
        boot_iso:
          name: ipxe.iso
          # ipxe_lkrn: /usr/lib/ipxe/ipxe.lkrn
          # ipxe_efi: /usr/lib/ipxe/ipxe.efi
          # isolinux: /usr/lib/ISOLINUX/isolinux.bin
          # ldlinux: /usr/lib/syslinux/modules/bios/ldlinux.c32

        # Starting values for new installs.
        install_defaults:
          locale: en-US
          keyboard: en-US
          time_zone: UTC
          password_policy:
            min_length: 14
            # how many of: lower case, upper case, digits, symbols
            require_classes: 3

        # The dashboard.
        ui:
          # clicks select rows and tabs; off keeps your terminal's own
          # selection and copy (vizor --mouse / --no-mouse override it)
          mouse: false
          # lines a job's log tail keeps; the oldest are dropped first
          log_lines: 100000

        """
}
