//! The simulated plant: Purdue zones, devices with vendor MACs, and how a frame
//! between two addresses looks at the capture point.
//!
//! Capture model: the sensor sees a SPAN of every zone's switch. A frame between two
//! zones is recorded once, on the segment of the more critical endpoint (lower
//! Purdue level): either leaving the sender towards the router (sender's TTL), or
//! leaving the router towards the receiver (TTL decremented once). The router has
//! its own MAC on each zone.

use crate::Profile;
use otwatch_core::Mac;

/// A zone: name, /prefix, level, router address in it.
#[derive(Clone, Debug)]
pub struct Zone {
    /// Zone name.
    pub name: &'static str,
    /// Network address.
    pub net: [u8; 4],
    /// Prefix length.
    pub prefix: u8,
    /// Purdue level label.
    pub level: &'static str,
    /// The router's interface MAC in this zone.
    pub router_mac: Mac,
    /// The router's address in this zone.
    pub gw: [u8; 4],
}

/// Zone index of the OT cell.
pub const Z_OT: usize = 0;
/// Zone index of the supervisory zone.
pub const Z_SUP: usize = 1;
/// Zone index of the DMZ.
pub const Z_DMZ: usize = 2;
/// Zone index of the IT zone.
pub const Z_IT: usize = 3;
/// Pseudo-zone of public addresses.
pub const Z_EXT: usize = 4;

/// What a device is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// PLC.
    Plc,
    /// RTU.
    Rtu,
    /// Protection relay.
    Ied,
    /// Building management controller.
    Bms,
    /// HMI / SCADA server.
    Hmi,
    /// Historian.
    Historian,
    /// Engineering workstation.
    Ews,
    /// OPC UA server.
    OpcServer,
    /// DNS + NTP infrastructure server.
    Infra,
    /// DHCP + DNS server of the IT zone.
    ItServer,
    /// Office workstation.
    ItHost,
    /// Router/firewall.
    Router,
    /// Switch.
    Switch,
    /// Attacker laptop.
    Attacker,
}

impl Role {
    /// Role name in the ground truth.
    pub fn name(self) -> &'static str {
        match self {
            Role::Plc => "plc",
            Role::Rtu => "rtu",
            Role::Ied => "ied",
            Role::Bms => "bms_controller",
            Role::Hmi => "hmi",
            Role::Historian => "historian",
            Role::Ews => "engineering_workstation",
            Role::OpcServer => "opc_server",
            Role::Infra => "dns_server",
            Role::ItServer => "dhcp_server",
            Role::ItHost => "it_host",
            Role::Router => "router",
            Role::Switch => "switch",
            Role::Attacker => "attacker",
        }
    }
}

/// Model-specific identity of a device.
#[derive(Clone, Debug)]
pub enum Model {
    /// Nothing protocol-specific.
    None,
    /// Modbus device identification objects.
    Modbus {
        /// VendorName.
        vendor: &'static str,
        /// ProductCode.
        product: &'static str,
        /// MajorMinorRevision.
        rev: &'static str,
    },
    /// S7 order number and firmware.
    S7 {
        /// Order number (MLFB).
        order: &'static str,
        /// Firmware version.
        fw: (u8, u8, u8),
    },
    /// CIP identity.
    Enip {
        /// Product name.
        name: &'static str,
        /// Product code.
        product_code: u16,
        /// Revision.
        rev: (u8, u8),
        /// Serial.
        serial: u32,
    },
    /// DNP3 outstation address.
    Dnp3 {
        /// Link address.
        addr: u16,
    },
    /// IEC-104 common address.
    Iec104 {
        /// Common address of ASDU.
        ca: u16,
    },
    /// BACnet device.
    Bacnet {
        /// Device instance.
        instance: u32,
        /// Vendor id.
        vendor: u16,
    },
    /// GOOSE publisher.
    Goose {
        /// APPID.
        appid: u16,
        /// IED name used in references.
        ied: &'static str,
    },
}

/// A device.
#[derive(Clone, Debug)]
pub struct Device {
    /// Host name.
    pub name: &'static str,
    /// IPv4 address ([0;4] for none).
    pub ip: [u8; 4],
    /// MAC.
    pub mac: Mac,
    /// Role.
    pub role: Role,
    /// Zone index.
    pub zone: usize,
    /// Initial TTL of its IP stack.
    pub ttl: u8,
    /// Protocol-specific identity.
    pub model: Model,
    /// Protocols it speaks (filled while the plant's tasks are built).
    pub protocols: Vec<&'static str>,
}

/// The plant.
#[derive(Clone, Debug)]
pub struct Plant {
    /// Zones (index = Z_* constants).
    pub zones: Vec<Zone>,
    /// Devices.
    pub devices: Vec<Device>,
}

/// The public address the OT host connects to in the `ot_internet` attack.
pub const PUBLIC_UPDATE_IP: [u8; 4] = [93, 184, 216, 34];
/// The public address of the slow exfiltration.
pub const PUBLIC_EXFIL_IP: [u8; 4] = [93, 184, 215, 14];

fn mac(o: [u8; 3], n: u32) -> Mac {
    Mac([o[0], o[1], o[2], (n >> 16) as u8, (n >> 8) as u8, n as u8])
}

/// OUI: Telemecanique (Schneider Electric's Modicon line).
const OUI_SCHNEIDER: [u8; 3] = [0x00, 0x80, 0xf4];
/// OUI: Siemens AG.
const OUI_SIEMENS_A: [u8; 3] = [0x00, 0x1b, 0x1b];
/// OUI: Siemens AG.
const OUI_SIEMENS_B: [u8; 3] = [0x00, 0x0e, 0x8c];
/// OUI: Rockwell Automation.
const OUI_ROCKWELL: [u8; 3] = [0x00, 0x00, 0xbc];
/// OUI: Schweitzer Engineering Laboratories.
const OUI_SEL: [u8; 3] = [0x00, 0x30, 0xa7];
/// OUI: ABB Ltd.
const OUI_ABB: [u8; 3] = [0x60, 0x39, 0x1f];
/// OUI: Dell Inc.
const OUI_DELL_A: [u8; 3] = [0x00, 0x14, 0x22];
/// OUI: Dell Inc.
const OUI_DELL_B: [u8; 3] = [0xf8, 0xb1, 0x56];
/// OUI: Hewlett Packard.
const OUI_HP_A: [u8; 3] = [0x3c, 0xd9, 0x2b];
/// OUI: Hewlett Packard.
const OUI_HP_B: [u8; 3] = [0x00, 0x17, 0xa4];
/// OUI: Cisco Systems.
const OUI_CISCO_A: [u8; 3] = [0x00, 0x1a, 0x6c];
/// OUI: Cisco Systems.
const OUI_CISCO_B: [u8; 3] = [0xb4, 0xe9, 0xb0];
/// OUI: Intel Corporate (the attacker's laptop NIC).
const OUI_INTEL: [u8; 3] = [0xe4, 0xc7, 0x67];
/// OUI: Lenovo.
const OUI_LENOVO: [u8; 3] = [0x10, 0xc5, 0x95];

/// Vendor name of a MAC as the `oui-data` crate reports it.
pub fn vendor_of(m: Mac) -> String {
    oui_data::lookup(&m.to_string())
        .map(|d| d.organization().to_string())
        .unwrap_or_default()
}

impl Plant {
    /// Zone index of an address.
    pub fn zone_of(ip: [u8; 4]) -> usize {
        match ip {
            [10, 10, 1, _] => Z_OT,
            [10, 10, 2, _] => Z_SUP,
            [10, 10, 3, _] => Z_DMZ,
            [10, 20, _, _] => Z_IT,
            _ => Z_EXT,
        }
    }

    /// Index of the device named `name` (panics on a programming error: the plant
    /// is built from static tables).
    pub fn dev(&self, name: &str) -> usize {
        self.devices
            .iter()
            .position(|d| d.name == name)
            .unwrap_or_else(|| panic!("no device {name}"))
    }

    /// Index of the device with address `ip`.
    pub fn by_ip(&self, ip: [u8; 4]) -> Option<usize> {
        self.devices.iter().position(|d| d.ip == ip)
    }

    /// Devices with a role, in table order.
    pub fn with_role(&self, role: Role) -> Vec<usize> {
        (0..self.devices.len())
            .filter(|&i| self.devices[i].role == role)
            .collect()
    }

    /// (L2 src, L2 dst, TTL) of a frame from device `src` to `dst_ip` at the capture
    /// point (see the module docs).
    pub fn path(&self, src: usize, dst_ip: [u8; 4]) -> (Mac, Mac, u8) {
        let s = &self.devices[src];
        let sz = s.zone;
        let dz = Self::zone_of(dst_ip);
        let dst = self.by_ip(dst_ip);
        if sz == dz {
            let dmac = dst.map(|d| self.devices[d].mac).unwrap_or(Mac::BROADCAST);
            return (s.mac, dmac, s.ttl);
        }
        if sz <= dz || dz == Z_EXT {
            (s.mac, self.zones[sz].router_mac, s.ttl)
        } else {
            let dmac = dst.map(|d| self.devices[d].mac).unwrap_or(Mac::BROADCAST);
            (self.zones[dz].router_mac, dmac, s.ttl - 1)
        }
    }

    /// Records that device `d` speaks `proto`.
    pub fn uses(&mut self, d: usize, proto: &'static str) {
        let p = &mut self.devices[d].protocols;
        if !p.contains(&proto) {
            p.push(proto);
        }
    }

    /// Builds the plant of a profile.
    pub fn build(profile: Profile) -> Plant {
        let zones = vec![
            zone("ot-cell", [10, 10, 1, 0], 24, "L1", 1),
            zone("supervisory", [10, 10, 2, 0], 24, "L2", 2),
            zone("dmz", [10, 10, 3, 0], 24, "DMZ", 3),
            zone("it", [10, 20, 0, 0], 16, "IT", 4),
        ];
        let mut d: Vec<Device> = Vec::new();
        let mut add = |name, ip, mac, role, zone, ttl, model| {
            d.push(Device {
                name,
                ip,
                mac,
                role,
                zone,
                ttl,
                model,
                protocols: Vec::new(),
            })
        };
        add(
            "fw01",
            [10, 10, 1, 1],
            mac(OUI_CISCO_A, 0x0a0101),
            Role::Router,
            Z_OT,
            255,
            Model::None,
        );
        add(
            "sw-ot01",
            [0; 4],
            mac(OUI_CISCO_B, 0x220001),
            Role::Switch,
            Z_OT,
            255,
            Model::None,
        );
        add(
            "plc-mb01",
            [10, 10, 1, 10],
            mac(OUI_SCHNEIDER, 0x0a3c11),
            Role::Plc,
            Z_OT,
            64,
            Model::Modbus {
                vendor: "Schneider Electric",
                product: "BMX P34 2020",
                rev: "v3.20",
            },
        );
        add(
            "plc-mb02",
            [10, 10, 1, 11],
            mac(OUI_SCHNEIDER, 0x0a3c52),
            Role::Plc,
            Z_OT,
            64,
            Model::Modbus {
                vendor: "Schneider Electric",
                product: "TM221CE24T",
                rev: "v1.10",
            },
        );
        add(
            "plc-s7-01",
            [10, 10, 1, 20],
            mac(OUI_SIEMENS_A, 0x1c4a21),
            Role::Plc,
            Z_OT,
            30,
            Model::S7 {
                order: "6ES7 315-2EH14-0AB0",
                fw: (3, 2, 8),
            },
        );
        add(
            "plc-s7-02",
            [10, 10, 1, 21],
            mac(OUI_SIEMENS_B, 0x7f0a92),
            Role::Plc,
            Z_OT,
            30,
            Model::S7 {
                order: "6ES7 516-3AN01-0AB0",
                fw: (2, 8, 3),
            },
        );
        add(
            "plc-ab01",
            [10, 10, 1, 30],
            mac(OUI_ROCKWELL, 0x4d2e10),
            Role::Plc,
            Z_OT,
            64,
            Model::Enip {
                name: "1756-L83E/B",
                product_code: 166,
                rev: (32, 11),
                serial: 0x60a1_3f27,
            },
        );
        let n_dnp3 = if profile == Profile::Substation { 3 } else { 1 };
        const DNP3_NAMES: [&str; 3] = ["rtu-dnp01", "rtu-dnp02", "rtu-dnp03"];
        for (i, name) in DNP3_NAMES.iter().enumerate().take(n_dnp3) {
            add(
                name,
                [10, 10, 1, 40 + i as u8],
                mac(OUI_SEL, 0x0c1000 + i as u32),
                Role::Rtu,
                Z_OT,
                64,
                Model::Dnp3 {
                    addr: 10 + i as u16,
                },
            );
        }
        let n_104 = if profile == Profile::Substation { 2 } else { 1 };
        const IEC_NAMES: [&str; 2] = ["rtu-104-01", "rtu-104-02"];
        for (i, name) in IEC_NAMES.iter().enumerate().take(n_104) {
            add(
                name,
                [10, 10, 1, 50 + i as u8],
                mac(OUI_ABB, 0x5a6000 + i as u32),
                Role::Rtu,
                Z_OT,
                64,
                Model::Iec104 { ca: 1 + i as u16 },
            );
        }
        if profile == Profile::Small {
            add(
                "bms-ctl01",
                [10, 10, 1, 60],
                mac(OUI_SIEMENS_B, 0x3b0c61),
                Role::Bms,
                Z_OT,
                64,
                Model::Bacnet {
                    instance: 260_001,
                    vendor: 7,
                },
            );
        }
        let n_relays = if profile == Profile::Substation { 6 } else { 2 };
        const RELAY_NAMES: [&str; 6] = [
            "ied-rel01",
            "ied-rel02",
            "ied-rel03",
            "ied-rel04",
            "ied-rel05",
            "ied-rel06",
        ];
        const RELAY_IEDS: [&str; 6] = ["REL01", "REL02", "REL03", "REL04", "REL05", "REL06"];
        for i in 0..n_relays {
            let (oui, n) = if i % 2 == 0 {
                (OUI_SEL, 0x0d2000)
            } else {
                (OUI_ABB, 0x5b7000)
            };
            add(
                RELAY_NAMES[i],
                [10, 10, 1, 70 + i as u8],
                mac(oui, n + i as u32),
                Role::Ied,
                Z_OT,
                64,
                Model::Goose {
                    appid: 0x0001 + i as u16,
                    ied: RELAY_IEDS[i],
                },
            );
        }
        add(
            "hmi01",
            [10, 10, 2, 10],
            mac(OUI_DELL_A, 0x6b1f01),
            Role::Hmi,
            Z_SUP,
            128,
            Model::None,
        );
        add(
            "hist01",
            [10, 10, 2, 20],
            mac(OUI_HP_A, 0x81a2c4),
            Role::Historian,
            Z_SUP,
            128,
            Model::None,
        );
        add(
            "ews01",
            [10, 10, 2, 30],
            mac(OUI_DELL_B, 0x2e9d07),
            Role::Ews,
            Z_SUP,
            128,
            Model::None,
        );
        add(
            "opcua01",
            [10, 10, 2, 40],
            mac(OUI_HP_B, 0x5c0e33),
            Role::OpcServer,
            Z_SUP,
            128,
            Model::None,
        );
        add(
            "infra01",
            [10, 10, 2, 5],
            mac(OUI_DELL_A, 0x6b2200),
            Role::Infra,
            Z_SUP,
            128,
            Model::None,
        );
        add(
            "hist-dmz01",
            [10, 10, 3, 10],
            mac(OUI_DELL_B, 0x2eaa10),
            Role::Historian,
            Z_DMZ,
            128,
            Model::None,
        );
        add(
            "dc-it01",
            [10, 20, 0, 5],
            mac(OUI_DELL_A, 0x6c0005),
            Role::ItServer,
            Z_IT,
            128,
            Model::None,
        );
        add(
            "it-ws07",
            [10, 20, 1, 17],
            mac(OUI_LENOVO, 0x9a4417),
            Role::ItHost,
            Z_IT,
            128,
            Model::None,
        );
        add(
            "it-ws12",
            [10, 20, 1, 22],
            mac(OUI_HP_A, 0x81b012),
            Role::ItHost,
            Z_IT,
            128,
            Model::None,
        );
        add(
            "laptop-x",
            [10, 10, 1, 66],
            mac(OUI_INTEL, 0x13a7ee),
            Role::Attacker,
            Z_OT,
            64,
            Model::None,
        );
        Plant { zones, devices: d }
    }
}

fn zone(name: &'static str, net: [u8; 4], prefix: u8, level: &'static str, n: u8) -> Zone {
    let gw = if net[2] == 0 {
        [net[0], net[1], 0, 1]
    } else {
        [net[0], net[1], net[2], 1]
    };
    Zone {
        name,
        net,
        prefix,
        level,
        router_mac: Mac([0x00, 0x1a, 0x6c, 0x0a, 0x00, n]),
        gw,
    }
}

/// Dotted-quad rendering.
pub fn ip_str(ip: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}
