//! The workbook fixtures (`tests/fixtures/*.xlsx`) and the code that writes them.
//!
//! CSA's CAIQ and FedRAMP's CIS/CRM template are not shipped (CSA's licence forbids it):
//! these workbooks have the exact sheet layouts and column headers of those documents (titles
//! above the header row, sheet names that are not the first sheet's) with rows written for
//! onus. To write them again after changing the rows below:
//!
//! ```sh
//! cargo test -p onus-interchange --test workbooks -- --ignored
//! ```

use rust_xlsxwriter::{Format, Workbook};

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Writes rows (first row 1) into a new sheet; `None` leaves the cell empty.
fn sheet(wb: &mut Workbook, name: &str, rows: &[Vec<&str>]) {
    let ws = wb.add_worksheet();
    ws.set_name(name).unwrap();
    let bold = Format::new().set_bold().set_text_wrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if r < 3 {
                ws.write_string_with_format(r as u32, c as u16, *v, &bold)
                    .unwrap();
            } else {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
}

/// A CAIQ v4 workbook: an introduction sheet, then the questionnaire under a title row.
pub fn caiq() -> Vec<u8> {
    let mut wb = Workbook::new();
    sheet(
        &mut wb,
        "Introduction",
        &[
            vec!["Consensus Assessments Initiative Questionnaire v4.0.3"],
            vec!["Example Cloud Kubernetes Service: self-assessment written as an onus test fixture."],
        ],
    );
    let header = vec![
        "Question ID",
        "Question",
        "CSP CAIQ Answer",
        "SSRM Control Ownership",
        "CSP Implementation Description (Optional/Recommended)",
        "CSC Responsibilities (Optional/Recommended)",
        "CCM Control ID",
        "CCM Control Specification",
        "CCM Control Title",
        "CCM Domain Title",
    ];
    let mut rows = vec![
        vec!["Example Cloud Kubernetes Service — CAIQ v4.0.3"],
        vec![],
        header,
    ];
    let q = |id: &'static str,
             question: &'static str,
             answer: &'static str,
             own: &'static str,
             imp: &'static str,
             csc: &'static str,
             ccm: &'static str,
             title: &'static str,
             domain: &'static str| {
        vec![
            id,
            question,
            answer,
            own,
            imp,
            csc,
            ccm,
            "(control text not reproduced)",
            title,
            domain,
        ]
    };
    rows.extend([
        q(
            "A&A-01.1",
            "Are audit policies established, documented and reviewed every year?",
            "Yes",
            "CSP-owned",
            "Our audit policy is reviewed by the compliance team each year.",
            "",
            "A&A-01",
            "Audit and Assurance Policy and Procedures",
            "Audit & Assurance",
        ),
        q(
            "A&A-02.1",
            "Are independent audits conducted at least once a year?",
            "Yes",
            "CSP-owned",
            "An external auditor certifies the service each year.",
            "",
            "A&A-02",
            "Independent Assessments",
            "Audit & Assurance",
        ),
        q(
            "BCR-08.1",
            "Is cloud data backed up periodically?",
            "Yes",
            "Shared CSP and CSC",
            "The control plane's state is backed up every hour.",
            "Back up the persistent volumes and the workloads' manifests.",
            "BCR-08",
            "Backup",
            "Business Continuity Management and Operational Resilience",
        ),
        q(
            "BCR-08.2",
            "Are backups restored and tested?",
            "No",
            "CSC-owned",
            "",
            "Test the restoration of your backups at least once a year.",
            "BCR-08",
            "Backup",
            "Business Continuity Management and Operational Resilience",
        ),
        q(
            "CEK-03.1",
            "Is data encrypted at rest and in transit?",
            "Yes",
            "Shared CSP and CSC",
            "Volumes are encrypted at rest; the API server only speaks TLS.",
            "Use TLS for the applications' own endpoints.",
            "CEK-03",
            "Data Encryption",
            "Cryptography, Encryption & Key Management",
        ),
        q(
            "DCS-07.1",
            "Are physical security perimeters established?",
            "Yes",
            "3rd-party outsourced",
            "The datacentres are run by our colocation partner under contract.",
            "",
            "DCS-07",
            "Controlled Access Points",
            "Datacenter Security",
        ),
        q(
            "DCS-09.1",
            "Is physical access to secure areas restricted to authorised personnel?",
            "Yes",
            "Shared CSP and 3rd-party",
            "Access lists are approved by us and enforced by the partner.",
            "",
            "DCS-09",
            "Secure Area Authorization",
            "Datacenter Security",
        ),
        q(
            "IAM-02.1",
            "Are strong password policies established and enforced?",
            "Yes",
            "CSC-owned",
            "",
            "Enforce password rules in your identity provider.",
            "IAM-02",
            "Strong Password Policy and Procedures",
            "Identity & Access Management",
        ),
        q(
            "IAM-16.1",
            "Is access to privileged functions authorised and restricted?",
            "Yes",
            "Shared CSP and CSC",
            "Operators reach the control plane through an audited bastion.",
            "Grant cluster-admin only to named administrators.",
            "IAM-16",
            "Authorization Mechanisms",
            "Identity & Access Management",
        ),
        q(
            "IVS-04.1",
            "Are operating systems hardened?",
            "Yes",
            "CSP-owned",
            "Worker node images follow a hardening baseline.",
            "",
            "IVS-04",
            "OS Hardening and Base Controls",
            "Infrastructure & Virtualization Security",
        ),
        q(
            "LOG-02.1",
            "Are audit logs retained and protected?",
            "Yes",
            "Partly",
            "Control plane audit logs are kept 30 days.",
            "Export the logs you need to keep longer.",
            "LOG-02",
            "Audit Logs Protection",
            "Logging and Monitoring",
        ),
        q(
            "LOG-03.1",
            "Are security-related events monitored and alerts raised?",
            "Yes",
            "",
            "",
            "",
            "LOG-03",
            "Security Monitoring and Alerting",
            "Logging and Monitoring",
        ),
        q(
            "STA-01.1",
            "Are supply chain policies established?",
            "NA",
            "N/A",
            "",
            "",
            "STA-01",
            "SSRM Policy and Procedures",
            "Supply Chain Management, Transparency, and Accountability",
        ),
    ]);
    sheet(&mut wb, "CAIQv4.0.3", &rows);
    wb.save_to_buffer().unwrap()
}

/// A FedRAMP CIS/CRM workbook (SSP appendix J, moderate baseline).
pub fn fedramp() -> Vec<u8> {
    let mut wb = Workbook::new();
    sheet(
        &mut wb,
        "Introduction",
        &[
            vec!["FedRAMP Control Implementation Summary (CIS) and Customer Responsibility Matrix (CRM)"],
            vec!["Example Cloud Kubernetes Service, moderate baseline: written as an onus test fixture."],
        ],
    );
    let x = "X";
    let cis_header = vec![
        "Control ID",
        "Implemented",
        "Partially Implemented",
        "Planned",
        "Alternative Implementation",
        "Not Applicable",
        "Service Provider Corporate",
        "Service Provider System Specific",
        "Service Provider Hybrid (Corporate and System Specific)",
        "Configured by Customer (Customer System Specific)",
        "Provided by Customer (Customer System Specific)",
        "Shared (Service Provider and Customer Responsibility)",
        "Inherited from pre-existing FedRAMP Authorization",
    ];
    // Control id, status column, origination columns (1-based among the seven).
    let cis_row = |id: &'static str, status: usize, origins: &[usize]| {
        let mut r = vec![""; 13];
        r[0] = id;
        if status > 0 {
            r[status] = x;
        }
        for o in origins {
            r[5 + o] = x;
        }
        r
    };
    let mut cis = vec![
        vec!["Control Implementation Summary (CIS) Worksheet"],
        vec![
            "",
            "Implementation Status",
            "",
            "",
            "",
            "",
            "Control Origination",
        ],
        cis_header,
    ];
    cis.extend([
        cis_row("AC-1", 1, &[1]),
        cis_row("AC-2 (a)", 1, &[6]),
        cis_row("AC-2 (b)", 1, &[5]),
        cis_row("AC-2(1)", 2, &[2]),
        cis_row("AC-17", 1, &[6]),
        cis_row("AU-2 (a)", 1, &[2]),
        cis_row("CM-6 (a)", 3, &[]),
        cis_row("CP-9 (a)", 1, &[6]),
        cis_row("IA-2", 1, &[4]),
        cis_row("IA-2(1)", 1, &[4]),
        cis_row("PE-3 (a)", 1, &[7]),
        cis_row("SC-7 (a)", 1, &[2, 3]),
        cis_row("SC-28", 1, &[6]),
        cis_row("XX-9", 1, &[2]),
    ]);
    sheet(&mut wb, "Moderate CIS Worksheet", &cis);
    let mut crm = vec![
        vec!["Customer Responsibility Matrix (CRM) Worksheet"],
        vec![],
        vec![
            "Control ID",
            "Can Be Inherited from CSP",
            "Specific Inheritance and Customer Agency/CSP Responsibilities",
        ],
    ];
    crm.extend([
        vec!["AC-1", "Yes", "The service's access control policy covers the platform; customers inherit it."],
        vec!["AC-2 (a)", "Partial", "The CSP manages operator accounts; the customer defines and manages the accounts of its own users in the cluster."],
        vec!["AC-2 (b)", "No", "The customer assigns account managers for its cluster users."],
        vec!["AC-2(1)", "Yes", "Operator accounts are managed automatically by the CSP's identity system."],
        vec!["AC-17", "Partial", "The CSP secures remote access to the control plane; the customer secures remote access to its workloads."],
        vec!["CP-9 (a)", "Partial", "The CSP backs up the control plane; the customer backs up its persistent volumes."],
        vec!["IA-2", "No", "The customer identifies and authenticates its users through its own identity provider."],
        vec!["IA-2(1)", "No", "The customer enforces multi-factor authentication for privileged users."],
        vec!["MA-2", "Partial", "The CSP maintains the platform; the customer maintains its workloads."],
        vec!["SC-28", "Partial", "Volumes are encrypted at rest by the CSP; the customer encrypts data at the application level where required."],
        vec!["SI-2 (a)", "Maybe", "Flaw remediation is under review."],
    ]);
    sheet(&mut wb, "Moderate CRM Worksheet", &crm);
    wb.save_to_buffer().unwrap()
}

#[test]
#[ignore = "writes the fixtures; run with --ignored after changing them"]
fn regenerate() {
    std::fs::write(fixtures().join("caiq-v4.xlsx"), caiq()).unwrap();
    std::fs::write(fixtures().join("fedramp-cis-crm.xlsx"), fedramp()).unwrap();
}
