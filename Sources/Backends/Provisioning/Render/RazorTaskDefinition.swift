/// The per-job Razor task that makes a node boot Vizor's own iPXE script.
///
/// Razor's stock `windows/*` tasks boot their own `boot_wim` template and
/// never Vizor's script, so each job gets a task stored in Razor's database
/// (`create-task`) whose first boot renders Vizor's script and whose later
/// boots fall back to Razor's common `boot_local` template: the boot sequence
/// `{1: <install template>, default: boot_local}` of the stock windows tasks
/// (razor-server `tasks/windows.task/metadata.yaml`; a database task looks a
/// template up in its own `templates` first, then in `tasks/common`, see
/// `lib/razor/data/task.rb` `find_template`).
///
/// Razor renders every template with ERB, so the script is escaped (`<%`
/// becomes `<%%`), and the only ERB it carries is `<%= node.name %>` after
/// each artefact URL: the artefact server releases a job's files only to the
/// node the job is bound to, and iPXE can name the node only in the URL.
public enum RazorTaskDefinition {
    /// Name of the install template inside the task.
    public static let installTemplate = "vizor_boot"
    /// Razor's common template that exits iPXE to boot the local disk.
    public static let localTemplate = "boot_local"

    /// Keys as `ProvisioningPlan.taskDefinition` carries them: `os`,
    /// `description`, `boot_seq.<n>`, every other key a template's ERB text.
    public static func make(jobID: String, os: String, bootScript: String, token: String) -> [String: String] {
        [
            "os": os,
            "description": "Vizor job \(jobID): boots Vizor's iPXE script once, then the local disk",
            "boot_seq.1": installTemplate,
            "boot_seq.default": localTemplate,
            installTemplate: template(bootScript: bootScript, token: token),
        ]
    }

    /// Vizor's iPXE script as an ERB template whose rendering is the script
    /// itself, each artefact URL (the ones carrying the job token) naming the node.
    public static func template(bootScript: String, token: String) -> String {
        let escaped = erbEscaped(bootScript)
        guard !token.isEmpty else { return escaped }
        return escaped.replacingOccurrences(of: "?token=\(token)", with: "?token=\(token)&node=<%= node.name %>")
    }

    /// Text that ERB renders back verbatim: `<%` is written `<%%`.
    public static func erbEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "<%", with: "<%%")
    }
}
