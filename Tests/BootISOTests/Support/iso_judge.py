"""Reads a boot ISO with pycdlib (an independent ISO 9660 / El Torito
reader) and prints what the tests check, as one JSON object: the volume set
id, the boot catalog's entries, the boot information table ISOLINUX finds
itself with, and the files of the root directory."""
import io
import json
import struct
import sys

import pycdlib

iso = pycdlib.PyCdlib()
iso.open(sys.argv[1])
catalog = iso.eltorito_boot_catalog
initial = catalog.initial_entry
report = {
    "volume_set": iso.pvd.volume_set_identifier.decode().strip(),
    "catalog": [{"platform": catalog.validation_entry.platform_id, "bootable": initial.boot_indicator == 0x88,
                 "media": initial.boot_media_type, "sectors": initial.sector_count, "lba": initial.load_rba}],
    "root": sorted(child.file_identifier().decode() for child in iso.list_children(iso_path="/")),
}
for section in catalog.sections:
    for entry in section.section_entries:
        report["catalog"].append({"platform": section.platform_id, "bootable": entry.boot_indicator == 0x88,
                                  "media": entry.boot_media_type, "sectors": entry.sector_count, "lba": entry.load_rba})
files = {}
for name in ["/isolinux/isolinux.bin;1", "/efi.img;1", "/vizor.txt;1", "/boot.ipxe;1", "/isolinux/isolinux.cfg;1"]:
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, iso_path=name)
    files[name] = (out.getvalue(), iso.get_record(iso_path=name).extent_location())
isolinux, isolinux_lba = files["/isolinux/isolinux.bin;1"]
pvd, file_lba, length, checksum = struct.unpack("<4I", isolinux[8:24])
words = isolinux[64:] + b"\0" * (-len(isolinux[64:]) % 4)
report["info_table"] = {"pvd": pvd, "file_lba": file_lba, "length": length, "checksum_ok":
                        checksum == sum(struct.unpack("<%dI" % (len(words) // 4), words)) & 0xFFFFFFFF,
                        "isolinux_lba": isolinux_lba, "isolinux_length": len(isolinux)}
report["efi_img"] = {"lba": files["/efi.img;1"][1], "bytes": len(files["/efi.img;1"][0])}
report["vizor_txt"] = files["/vizor.txt;1"][0].decode()
report["script"] = files["/boot.ipxe;1"][0].decode()
report["isolinux_cfg"] = files["/isolinux/isolinux.cfg;1"][0].decode()
print(json.dumps(report))
