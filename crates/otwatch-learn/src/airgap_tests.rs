use super::*;

#[test]
fn remote_access_by_name_and_port() {
    assert!(is_remote_access(ProtoName::Named("rdp")));
    assert!(is_remote_access(ProtoName::Named("ssh")));
    assert!(is_remote_access(ProtoName::Tcp(3389)));
    assert!(is_remote_access(ProtoName::Tcp(5901)));
    assert!(!is_remote_access(ProtoName::Named("modbus")));
    assert!(!is_remote_access(ProtoName::Tcp(502)));
    assert!(!is_remote_access(ProtoName::Udp(53)));
}

#[test]
fn empty_inventory_holds() {
    let mut inv = Inventory::new();
    inv.classify();
    let r = AirgapReport::build(&inv);
    assert!(r.holds, "{}", r.verdict);
    assert!(r.crossings.is_empty());
    assert!(r.convergence_points.is_empty());
    assert!(r.verdict.starts_with("air gap holds"), "{}", r.verdict);
    assert!(r.to_json().contains(AIRGAP_SCHEMA));
}
