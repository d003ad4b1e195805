/// The KMS client setup keys (Generic Volume License Keys) Microsoft publishes
/// for client editions, in "Key Management Services (KMS) client activation and
/// product keys" (learn.microsoft.com, windows-server/get-started/kms-client-activation-keys).
///
/// Vizor writes one into `autounattend.xml` when the operator gives no key for a
/// client edition: retail and volume client media otherwise stop at the product
/// key page inside WinPE. A GVLK names the same edition as `/IMAGE/INDEX`, is
/// accepted by Setup on retail and volume media alike, and installs a Windows
/// that activates only against a KMS host: an operator with a retail or MAK key
/// gives it (`--product-key-file`), and Vizor writes that one instead.
public enum KMSClientKeys {
    /// The GVLK of a client edition, by its WIM `EDITIONID` and build, or nil
    /// when Microsoft publishes none (Home editions, evaluation media, which
    /// refuse any key).
    public static func key(editionID: String, build: Int) -> String? {
        switch build {
        case 10240...:
            if editionID == "EnterpriseS" || editionID == "EnterpriseSN" { return ltsc(editionID, build: build) }
            return windows10And11[editionID]
        case 9600..<10240: return windows81[editionID]
        case 9200..<9600: return windows8[editionID]
        case 7600..<9200: return windows7[editionID]
        default: return nil
        }
    }

    /// Windows 10 and 11, semi-annual channel: the same key for both.
    static let windows10And11: [String: String] = [
        "Professional": "W269N-WFGWX-YVC9B-4J6C9-T83GX",
        "ProfessionalN": "MH37W-N47XK-V7XM9-C7227-GCQG9",
        "ProfessionalWorkstation": "NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J",
        "ProfessionalWorkstationN": "9FNHH-K3HBT-3W4TD-6383H-6XYWF",
        "ProfessionalEducation": "6TP4R-GNPTD-KYYHQ-7B7DP-J447Y",
        "ProfessionalEducationN": "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC",
        "Education": "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2",
        "EducationN": "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ",
        "Enterprise": "NPPR9-FWDCX-D2C8J-H872K-2YT43",
        "EnterpriseN": "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4",
        "EnterpriseG": "YYVX9-NTFWV-6MDM3-9PT4T-4M68B",
        "EnterpriseGN": "44RPN-FTY23-9VTTB-MP9BX-T84FV",
    ]

    /// Enterprise LTSB/LTSC, whose key changes with the release.
    static func ltsc(_ editionID: String, build: Int) -> String? {
        let n = editionID == "EnterpriseSN"
        switch build {
        case 10240: return n ? "2F77B-TNFGY-69QQF-B8YKP-D69TJ" : "WNMTR-4C88C-JK8YV-HQ7T2-76DF9"   // LTSB 2015
        case 14393: return n ? "QFFDN-GRT3P-VKWWX-X7T3R-8B639" : "DCPHK-NFMTC-H88MJ-PFHPY-QJ4BJ"   // LTSB 2016
        case 17763, 19044, 26100: return n ? "92NFX-8DJQP-P6BBQ-THF9C-7CG2H" : "M7XTQ-FN8P6-TTKYV-9D4CC-J462D" // LTSC 2019, 2021, 2024
        default: return nil
        }
    }

    static let windows81: [String: String] = [
        "Professional": "GCRJD-8NW9H-F2CDX-CCM8D-9D6T9", "ProfessionalN": "HMCNV-VVBFX-7HMBH-CTY9B-B4FXY",
        "Enterprise": "MHF9N-XY6XB-WVXMC-BTDCT-MKKG7", "EnterpriseN": "TT4HM-HN7YT-62K67-RGRQJ-JFFXW",
    ]
    static let windows8: [String: String] = [
        "Professional": "NG4HW-VH26C-733KW-K6F98-J8CK4", "ProfessionalN": "XCVCF-2NXM9-723PB-MHCB7-2RYQQ",
        "Enterprise": "32JNW-9KQ84-P47T8-D8GGY-CWCK7", "EnterpriseN": "JMNMF-RHW7P-DMY6X-RF3DR-X2BQT",
    ]
    static let windows7: [String: String] = [
        "Professional": "FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4", "ProfessionalN": "MRPKT-YTG23-K7D7T-X2JMM-QY7MG",
        "ProfessionalE": "W82YF-2Q76Y-63HXB-FGJG9-GF7QX", "Enterprise": "33PXH-7Y6KF-2VJC9-XBBR8-HVTHH",
        "EnterpriseN": "YDRBP-3D83W-TY26F-D46B2-XCKRJ", "EnterpriseE": "C29WB-22CC8-VJ326-GHFJW-H9DH4",
    ]
}
