//! Unit tests on hand-built events and flow records, one per corner case.

use super::*;
use crate::zones::Zones;
use otwatch_core::{FlowEnd, FlowId, Identity, OpClass, TcpState, Transport};
use std::borrow::Cow;

pub(crate) fn mac(s: &str) -> Mac {
    s.parse().expect("test mac")
}
pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().expect("test ip")
}
pub(crate) fn ep(m: Option<&str>, i: Option<&str>, port: u16) -> Endpoint {
    Endpoint {
        ip: i.map(ip),
        port,
        mac: m.map(mac),
    }
}
pub(crate) fn t(secs: f64) -> Timestamp {
    Timestamp::from_secs_f64(1_700_000_000.0 + secs)
}
pub(crate) fn txn(
    ts: f64,
    src: Endpoint,
    dst: Endpoint,
    proto: &'static str,
    op: OpClass,
    func: &'static str,
) -> Event {
    let mut e = Event::new(t(ts), FlowId(1), src, dst, proto, op, func);
    e.status = Some(Cow::Borrowed("ok"));
    e
}
pub(crate) fn flow(
    first: f64,
    last: f64,
    client: Endpoint,
    server: Endpoint,
    proto: Option<&'static str>,
    pkts: [u64; 2],
) -> FlowRecord {
    FlowRecord {
        flow_id: FlowId(9),
        client,
        server,
        transport: Transport::Tcp,
        vlan: None,
        proto,
        first: t(first),
        last: t(last),
        pkts,
        bytes: [pkts[0] * 80, pkts[1] * 80],
        tcp_state: TcpState::Closed,
        orig_certain: true,
        end: FlowEnd::Closed,
    }
}
pub(crate) fn arp(ts: f64, m: &str, i: &str) -> Event {
    let mut e = Event::new(
        t(ts),
        FlowId(0),
        ep(Some(m), None, 0),
        Endpoint::mac(Mac::BROADCAST),
        "arp",
        OpClass::Discovery,
        "request",
    );
    e.fields.push("sender_mac", m.to_string());
    e.fields.push("sender_ip", i.to_string());
    e
}

const PLC_MAC: &str = "00:1b:1b:00:00:10"; // Siemens AG OUI
const HMI_MAC: &str = "00:0c:29:00:00:20"; // VMware OUI
const RTR_MAC: &str = "00:00:0c:00:00:01"; // Cisco OUI

/// An HMI polling a PLC over Modbus every second, `n` cycles.
fn hmi_plc(inv: &mut Inventory, n: usize) {
    let hmi = ep(Some(HMI_MAC), Some("10.10.2.20"), 40000);
    let plc = ep(Some(PLC_MAC), Some("10.10.1.10"), 502);
    for i in 0..n {
        inv.observe_event(&txn(
            i as f64,
            hmi,
            plc,
            "modbus",
            OpClass::Read,
            "read_holding_registers",
        ));
    }
    inv.observe_flow(&flow(
        0.0,
        n as f64,
        hmi,
        plc,
        Some("modbus"),
        [n as u64, n as u64],
    ));
}

#[test]
fn hmi_polls_plc() {
    let mut inv = Inventory::new();
    hmi_plc(&mut inv, 50);
    inv.classify();
    assert_eq!(inv.devices().len(), 2);
    let plc = inv.device_by_ip(ip("10.10.1.10")).expect("plc");
    assert_eq!(plc.mac, Some(mac(PLC_MAC)));
    assert!(plc.vendor.expect("oui").to_lowercase().contains("siemens"));
    assert_eq!(plc.role, Role::Plc, "{:?}", plc.role_reasons);
    assert!(plc.role_confidence > 0.5);
    assert!(!plc.role_reasons.is_empty());
    assert_eq!(plc.protocols_server[0].proto, ProtoName::Named("modbus"));
    let hmi = inv.device_by_mac(mac(HMI_MAC)).expect("hmi");
    assert_eq!(hmi.role, Role::Hmi, "{:?}", hmi.role_reasons);
    assert_eq!(hmi.pkts_sent, 50);
    assert_eq!(hmi.pkts_received, 50);
    let c = &inv.connections()[0];
    assert_eq!((c.client, c.server), (hmi.id, plc.id));
    assert_eq!(c.protocols[0].ops.get(OpClass::Read), 50);
    assert_eq!(c.events, 50);
    assert_eq!(c.flows, 1);
    let cy = c.protocols[0].cycle_secs.expect("cycle");
    assert!((cy - 1.0).abs() < 0.01, "{cy}");
}

#[test]
fn router_mac_fronting_many_ips() {
    let mut inv = Inventory::new();
    let plc = ep(Some(PLC_MAC), Some("10.10.1.10"), 502);
    inv.observe_event(&arp(0.0, PLC_MAC, "10.10.1.10"));
    inv.observe_event(&arp(0.0, RTR_MAC, "10.10.1.1"));
    for (k, remote) in ["10.20.0.5", "10.20.0.6", "10.30.0.7"].iter().enumerate() {
        let c = ep(Some(RTR_MAC), Some(remote), 40000 + k as u16);
        inv.observe_flow(&flow(1.0, 2.0, c, plc, Some("modbus"), [4, 4]));
    }
    inv.classify();
    let r = inv.device_by_mac(mac(RTR_MAC)).expect("router");
    assert_eq!(r.kind, DeviceKind::Router);
    assert_eq!(r.role, Role::Router, "{:?}", r.role_reasons);
    assert_eq!(r.ips.len(), 1, "{:?}", r.ips);
    assert_eq!(r.ip, Some(ip("10.10.1.1")));
    for remote in ["10.20.0.5", "10.20.0.6", "10.30.0.7"] {
        let d = inv.device_by_ip(ip(remote)).expect("ip-only");
        assert_eq!(d.kind, DeviceKind::IpOnly);
        assert_eq!(d.mac, None);
        assert_eq!(d.behind, Some(r.id));
        assert_ne!(d.id, r.id);
    }
    assert_eq!(inv.devices().len(), 5);
    assert_eq!(inv.connections().len(), 3);
    assert!(!r.dual_homed);
}

#[test]
fn router_without_arp_by_count() {
    let mut inv = Inventory::new();
    let plc = ep(Some(PLC_MAC), Some("10.10.1.10"), 502);
    for (k, remote) in ["10.20.0.5", "10.30.0.6", "10.40.0.7"].iter().enumerate() {
        let c = ep(Some(RTR_MAC), Some(remote), 40000 + k as u16);
        inv.observe_flow(&flow(1.0, 2.0, c, plc, None, [4, 4]));
    }
    inv.classify();
    let r = inv.device_by_mac(mac(RTR_MAC)).expect("router");
    assert_eq!(r.kind, DeviceKind::Router);
    assert!(r.ips.is_empty());
    assert_eq!(
        inv.device_by_ip(ip("10.30.0.6")).expect("ip-only").kind,
        DeviceKind::IpOnly
    );
}

#[test]
fn routed_ip_of_known_station_is_not_duplicated() {
    // The PLC is seen directly (own MAC) and, on the other segment, behind the router.
    let mut inv = Inventory::new();
    inv.observe_event(&arp(0.0, RTR_MAC, "10.10.2.1"));
    inv.observe_event(&arp(0.0, PLC_MAC, "10.10.1.10"));
    let hmi = ep(Some(HMI_MAC), Some("10.10.2.20"), 40000);
    let plc_direct = ep(Some(PLC_MAC), Some("10.10.1.10"), 502);
    let plc_routed = ep(Some(RTR_MAC), Some("10.10.1.10"), 502);
    inv.observe_flow(&flow(1.0, 2.0, hmi, plc_routed, Some("modbus"), [4, 4]));
    inv.observe_flow(&flow(3.0, 4.0, hmi, plc_direct, Some("modbus"), [4, 4]));
    inv.classify();
    let plc = inv.device_by_ip(ip("10.10.1.10")).expect("plc");
    assert_eq!(plc.mac, Some(mac(PLC_MAC)));
    assert_eq!(inv.devices().len(), 3, "{:#?}", inv.devices());
    assert_eq!(inv.connections().len(), 1);
    assert_eq!(inv.connections()[0].flows, 2);
}

fn dhcp_ack(ts: f64, client: &str, yiaddr: &str, server: &str, router: &str) -> Event {
    let mut e = Event::new(
        t(ts),
        FlowId(2),
        ep(Some(client), None, 68),
        ep(Some("00:50:56:00:00:67"), Some(server), 67),
        "dhcp",
        OpClass::Session,
        "ack",
    );
    e.status = Some(Cow::Borrowed("ok"));
    e.fields.push("message_type", "ack");
    e.fields.push("client_mac", client.to_string());
    e.fields.push("assigned_ip", yiaddr.to_string());
    e.fields.push("server_id", server.to_string());
    e.fields.push("router", router.to_string());
    e.fields.push("hostname", "ews01".to_string());
    e
}

#[test]
fn dhcp_address_change_keeps_one_device() {
    let m = "00:1c:06:00:00:30"; // Siemens Numerical Control OUI
    let mut inv = Inventory::new();
    inv.observe_event(&dhcp_ack(0.0, m, "10.10.2.50", "10.10.2.2", "10.10.2.1"));
    let srv = ep(Some(PLC_MAC), Some("10.10.1.10"), 502);
    inv.observe_flow(&flow(
        1.0,
        2.0,
        ep(Some(m), Some("10.10.2.50"), 4000),
        srv,
        None,
        [2, 2],
    ));
    inv.observe_event(&dhcp_ack(100.0, m, "10.10.2.77", "10.10.2.2", "10.10.2.1"));
    inv.observe_flow(&flow(
        101.0,
        102.0,
        ep(Some(m), Some("10.10.2.77"), 4000),
        srv,
        None,
        [2, 2],
    ));
    inv.classify();
    let d = inv.device_by_mac(mac(m)).expect("device");
    assert_eq!(d.kind, DeviceKind::Station);
    assert_eq!(d.ips.len(), 2);
    assert_eq!(d.ip, Some(ip("10.10.2.77")));
    assert!(d.ips.iter().all(|i| i.binding == Binding::Dhcp));
    assert_eq!(d.name.as_deref(), Some("ews01"));
    assert_eq!(inv.device_by_ip(ip("10.10.2.50")).map(|x| x.id), Some(d.id));
    assert_eq!(inv.dhcp_servers().len(), 1);
    assert_eq!(inv.dhcp_servers()[0].ip, ip("10.10.2.2"));
    assert_eq!(inv.gateways()[0].ip, ip("10.10.2.1"));
    let srv = inv.device_by_ip(ip("10.10.2.2")).expect("dhcp server");
    assert_eq!(srv.role, Role::DhcpServer, "{:?}", srv.role_reasons);
}

#[test]
fn ip_only_devices_without_link_layer() {
    let mut inv = Inventory::new();
    let c = ep(None, Some("192.168.1.100"), 40000);
    for k in 1..=3 {
        let s = ep(None, Some(&format!("192.168.1.10{k}")), 502);
        inv.observe_event(&txn(k as f64, c, s, "modbus", OpClass::Read, "read_coils"));
    }
    inv.classify();
    assert_eq!(inv.devices().len(), 4);
    assert!(
        inv.devices()
            .iter()
            .all(|d| d.kind == DeviceKind::IpOnly && d.mac.is_none())
    );
    assert_eq!(
        inv.device_by_ip(ip("192.168.1.102")).expect("rtu").role,
        Role::Plc
    );
}

#[test]
fn dual_homed_station() {
    let zones = Zones::from_toml_str(
        "[[zone]]\nname='ot'\ncidrs=['10.10.0.0/16']\nlevel='L2'\n\
         [[zone]]\nname='it'\ncidrs=['10.20.0.0/16']\nlevel='IT'\n",
    )
    .expect("zones");
    let mut inv = Inventory::with_zones(zones);
    inv.observe_event(&arp(0.0, HMI_MAC, "10.10.2.20"));
    inv.observe_event(&arp(0.0, HMI_MAC, "10.20.0.20"));
    inv.classify();
    let d = inv.device_by_mac(mac(HMI_MAC)).expect("dual");
    assert_eq!(d.kind, DeviceKind::Station);
    assert!(d.dual_homed);
    assert_eq!(d.zones, vec!["it".to_string(), "ot".to_string()]);
}

#[test]
fn public_dns_names_recorded() {
    let mut inv = Inventory::new();
    let c = ep(Some(HMI_MAC), Some("10.10.2.20"), 5353);
    let s = ep(Some(RTR_MAC), Some("10.10.2.1"), 53);
    let mut e = txn(5.0, c, s, "dns", OpClass::Other, "query");
    e.fields.push("qname", "update.vendor.com".to_string());
    e.fields.push("public_name", true);
    e.fields.push("answers", "93.184.216.34".to_string());
    inv.observe_event(&e);
    inv.observe_event(&e);
    inv.classify();
    let d = inv.device_by_ip(ip("10.10.2.20")).expect("hmi");
    assert_eq!(d.public_names.len(), 1);
    assert_eq!(d.public_names[0].name, "update.vendor.com");
    assert_eq!(d.public_names[0].count, 2);
    // The A answer names the remote address.
    let r = inv.device_by_ip(ip("93.184.216.34")).expect("named remote");
    assert_eq!(r.name.as_deref(), Some("update.vendor.com"));
}

#[test]
fn identity_merges_newest_firmware() {
    let mut inv = Inventory::new();
    let c = ep(Some(HMI_MAC), Some("10.10.2.20"), 40000);
    let s = ep(Some(PLC_MAC), Some("10.10.1.10"), 502);
    for (k, fw) in ["V1.0", "V2.1"].iter().enumerate() {
        let mut e = txn(
            k as f64 * 100.0,
            c,
            s,
            "modbus",
            OpClass::Diagnostic,
            "read_device_identification",
        );
        e.identity = Some(Box::new(Identity {
            subject: Some(IdentitySubject::Dst),
            vendor: Some("Schneider Electric".into()),
            product: Some("BMX P34 2020".into()),
            firmware: Some(fw.to_string()),
            ..Identity::default()
        }));
        inv.observe_event(&e);
    }
    inv.classify();
    let d = inv.device_by_ip(ip("10.10.1.10")).expect("plc");
    let id = &d.identity;
    assert_eq!(
        id.vendor.as_ref().map(|a| a.value.as_str()),
        Some("Schneider Electric")
    );
    assert_eq!(
        id.product.as_ref().map(|a| a.value.as_str()),
        Some("BMX P34 2020")
    );
    assert_eq!(
        id.firmware.as_ref().map(|a| (a.value.as_str(), a.source)),
        Some(("V2.1", "modbus"))
    );
}

#[test]
fn unanswered_targets_are_unconfirmed() {
    let mut inv = Inventory::new();
    let scanner = ep(Some(HMI_MAC), Some("10.10.1.66"), 50000);
    for k in 1..20 {
        let s = ep(Some(RTR_MAC), Some(&format!("10.10.1.{k}")), 502);
        let mut f = flow(k as f64, k as f64, scanner, s, None, [1, 0]);
        f.tcp_state = TcpState::SynSent;
        inv.observe_flow(&f);
    }
    inv.classify();
    let confirmed: Vec<_> = inv.devices().iter().filter(|d| d.confirmed).collect();
    assert_eq!(confirmed.len(), 1, "{confirmed:#?}");
    assert!(
        inv.devices()
            .iter()
            .filter(|d| !d.confirmed)
            .all(|d| d.role == Role::Unknown)
    );
}

#[test]
fn roles_from_behaviour() {
    let mut inv = Inventory::new();
    let hist = ep(Some("00:0c:29:00:00:40"), Some("10.10.3.40"), 40001);
    let ews = ep(Some("00:0c:29:00:00:41"), Some("10.10.2.41"), 40002);
    let plc = ep(Some(PLC_MAC), Some("10.10.1.10"), 102);
    let rtu = ep(Some("00:0c:29:00:00:50"), Some("10.10.1.50"), 20000);
    let relay = ep(Some("00:0c:29:00:00:60"), None, 0);
    let goose_dst = Endpoint::mac(mac("01:0c:cd:01:00:01"));
    let dns = ep(Some("00:0c:29:00:00:53"), Some("10.20.0.53"), 53);
    let it = ep(Some("00:0c:29:00:00:70"), Some("10.20.0.70"), 50000);
    for i in 0..30 {
        let ts = i as f64 * 60.0;
        inv.observe_event(&txn(ts, hist, plc, "s7comm", OpClass::Read, "read_var"));
        inv.observe_event(&txn(ts, hist, rtu, "dnp3", OpClass::Read, "read"));
        inv.observe_event(&txn(
            ts,
            relay,
            goose_dst,
            "goose",
            OpClass::Other,
            "publish",
        ));
        inv.observe_event(&txn(ts, it, dns, "dns", OpClass::Other, "query"));
    }
    inv.observe_event(&txn(
        10.0,
        ews,
        plc,
        "s7comm",
        OpClass::Program,
        "download_block",
    ));
    inv.observe_event(&txn(11.0, ews, plc, "s7comm", OpClass::Read, "read_var"));
    let mut lldp = txn(
        0.0,
        ep(Some("00:0c:29:00:00:99"), None, 0),
        Endpoint::mac(mac("01:80:c2:00:00:0e")),
        "lldp",
        OpClass::Discovery,
        "announce",
    );
    lldp.fields.push("enabled_capabilities", "bridge");
    inv.observe_event(&lldp);
    inv.classify();
    let role = |e: &Endpoint| {
        let d = inv.device_of(e).expect("device");
        (d.role, d.role_reasons.clone())
    };
    assert_eq!(role(&hist).0, Role::Historian, "{:?}", role(&hist));
    assert_eq!(
        role(&ews).0,
        Role::EngineeringWorkstation,
        "{:?}",
        role(&ews)
    );
    assert_eq!(role(&plc).0, Role::Plc, "{:?}", role(&plc));
    assert_eq!(role(&rtu).0, Role::Rtu, "{:?}", role(&rtu));
    assert_eq!(role(&relay).0, Role::Ied, "{:?}", role(&relay));
    assert_eq!(role(&dns).0, Role::DnsServer, "{:?}", role(&dns));
    assert_eq!(role(&it).0, Role::ItHost, "{:?}", role(&it));
    let sw = inv.device_by_mac(mac("00:0c:29:00:00:99")).expect("switch");
    assert_eq!(sw.role, Role::Switch, "{:?}", sw.role_reasons);
    // The GOOSE multicast group is not a device.
    assert!(inv.device_by_mac(mac("01:0c:cd:01:00:01")).is_none());
}

#[test]
fn zones_inferred_when_none_given() {
    let mut inv = Inventory::new();
    hmi_plc(&mut inv, 5);
    inv.classify();
    assert_eq!(inv.zones().source, crate::zones::ZonesSource::Inferred);
    assert_eq!(inv.zones().zones.len(), 2);
    let c = &inv.connections()[0];
    assert!(c.cross_zone);
    assert_eq!(c.server_zone.as_deref(), Some("10.10.1.0/24"));
}

#[test]
fn json_and_csv() {
    let mut inv = Inventory::new();
    hmi_plc(&mut inv, 5);
    let mut e = txn(
        9.0,
        ep(Some(HMI_MAC), Some("10.10.2.20"), 1),
        ep(Some(PLC_MAC), Some("10.10.1.10"), 502),
        "modbus",
        OpClass::Diagnostic,
        "read_device_identification",
    );
    e.identity = Some(Box::new(Identity {
        subject: Some(IdentitySubject::Dst),
        name: Some("=HYPERLINK(\"x\")".into()),
        ..Identity::default()
    }));
    inv.observe_event(&e);
    inv.classify();
    let j: serde_json::Value = serde_json::from_str(&inv.to_json()).expect("json");
    assert_eq!(j["schema"], "otwatch.assets.v1");
    assert_eq!(j["zones_source"], "inferred");
    let devs = j["devices"].as_array().expect("devices");
    assert_eq!(devs.len(), 2);
    let plc = devs.iter().find(|d| d["ip"] == "10.10.1.10").expect("plc");
    assert_eq!(plc["role"], "plc");
    assert_eq!(plc["kind"], "station");
    assert_eq!(plc["mac"], PLC_MAC);
    assert_eq!(plc["protocols_server"][0]["proto"], "modbus");
    assert!(plc["first_seen"].as_f64().expect("ts") > 1.6e9);
    assert_eq!(j["connections"][0]["protocols"][0]["ops"]["read"], 5);
    let csv = inv.to_csv();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("id,kind,confirmed,mac")
    );
    assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
    assert_eq!(csv.lines().count(), 3);
}

#[test]
fn protocol_cap_counts_and_weirds_once() {
    let mut inv = Inventory::new();
    let c = ep(Some(HMI_MAC), Some("10.10.2.20"), 40000);
    let s = ep(Some(PLC_MAC), Some("10.10.1.10"), 0);
    for port in 0..(host::MAX_PROTOCOLS_PER_HOST as u16 + 10) {
        let mut s = s;
        s.port = 1000 + port;
        inv.observe_flow(&flow(1.0, 1.0, c, s, None, [1, 1]));
    }
    inv.classify();
    assert!(inv.overflow().protocols >= 10);
    let w = inv.drain_weirds();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].function, "inventory_protocol_cap");
    assert!(inv.drain_weirds().is_empty());
    let d = inv.device_by_mac(mac(HMI_MAC)).expect("hmi");
    assert_eq!(d.protocols_client.len(), host::MAX_PROTOCOLS_PER_HOST);
}

#[test]
fn memory_per_host_and_connection() {
    let mut inv = Inventory::new();
    hmi_plc(&mut inv, 100);
    let m = inv.memory();
    assert_eq!(m.hosts, 2);
    assert_eq!(m.connections, 1);
    assert!(m.bytes_per_host > std::mem::size_of::<host::Host>() / 2);
    assert!(m.bytes_per_connection > 0);
    eprintln!(
        "memory estimate: {m:?}, size_of Host {}",
        std::mem::size_of::<host::Host>()
    );
}

#[test]
fn hostile_fields_do_not_panic() {
    let mut inv = Inventory::new();
    let mut e = arp(0.0, PLC_MAC, "10.0.0.1");
    e.fields.push("sender_ip", Value::Bytes(vec![1, 2, 3]));
    e.fields
        .push("sender_mac", Value::List(vec![Value::U64(7)]));
    inv.observe_event(&e);
    let mut d = txn(
        1.0,
        ep(None, Some("10.0.0.2"), 53),
        ep(None, Some("10.0.0.3"), 53),
        "dns",
        OpClass::Other,
        "query",
    );
    d.fields.push("qname", "x".repeat(10_000));
    d.fields.push("public_name", true);
    d.fields.push(
        "answers",
        Value::List(vec![Value::Str("not an ip".into()); 100]),
    );
    inv.observe_event(&d);
    let mut p = txn(
        2.0,
        ep(None, Some("10.0.0.2"), 1),
        ep(None, Some("10.0.0.3"), 1),
        "dns",
        OpClass::Other,
        "query",
    );
    p.fields.push("qname", "999.1.1.1.in-addr.arpa".to_string());
    inv.observe_event(&p);
    inv.observe_event(&Event::weird(
        t(3.0),
        FlowId(1),
        Endpoint::default(),
        Endpoint::default(),
        "x",
        "x_bad",
    ));
    inv.classify();
    let d = inv.device_by_ip(ip("10.0.0.2")).expect("device");
    assert!(d.public_names[0].name.chars().count() <= host::MAX_STRING_LEN);
}
