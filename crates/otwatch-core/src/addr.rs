//! Addresses: MACs, IP endpoints and transports.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An Ethernet MAC address.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The broadcast address ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: Mac = Mac([0xff; 6]);
    /// Reads a MAC from the first six bytes of `b`, if there are six.
    pub fn from_slice(b: &[u8]) -> Option<Mac> {
        b.get(..6).map(|s| {
            let mut m = [0u8; 6];
            m.copy_from_slice(s);
            Mac(m)
        })
    }
    /// Group (multicast or broadcast) bit set.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
    /// The 24-bit OUI, the vendor prefix.
    pub fn oui(&self) -> u32 {
        u32::from_be_bytes([0, self.0[0], self.0[1], self.0[2]])
    }
    /// Locally administered bit set (randomised or virtual MACs).
    pub fn is_local(&self) -> bool {
        self.0[0] & 2 == 2
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut m = [0u8; 6];
        let mut n = 0;
        for (i, part) in s.split([':', '-']).enumerate() {
            if i >= 6 {
                return Err(format!("bad MAC {s:?}"));
            }
            m[i] = u8::from_str_radix(part, 16).map_err(|_| format!("bad MAC {s:?}"))?;
            n = i + 1;
        }
        if n != 6 {
            return Err(format!("bad MAC {s:?}"));
        }
        Ok(Mac(m))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Transport of a flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP or ICMPv6.
    Icmp,
    /// Layer 2 only (no IP): ARP, PROFINET DCP, GOOSE, LLDP ...
    L2,
    /// Another IP protocol number.
    Other(u8),
}

/// One side of a conversation: IP and port when the traffic is IP, the MAC when known.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// IP address, absent for pure layer-2 traffic.
    pub ip: Option<IpAddr>,
    /// Transport port (0 for ICMP and layer 2).
    pub port: u16,
    /// Link-layer address, when the frame carried one.
    pub mac: Option<Mac>,
}

impl Endpoint {
    /// An IP endpoint.
    pub fn ip(ip: IpAddr, port: u16) -> Self {
        Endpoint {
            ip: Some(ip),
            port,
            mac: None,
        }
    }
    /// A layer-2 endpoint.
    pub fn mac(mac: Mac) -> Self {
        Endpoint {
            ip: None,
            port: 0,
            mac: Some(mac),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.ip, self.mac) {
            (Some(IpAddr::V4(ip)), _) => write!(f, "{ip}:{}", self.port),
            (Some(IpAddr::V6(ip)), _) => write!(f, "[{ip}]:{}", self.port),
            (None, Some(m)) => write!(f, "{m}"),
            (None, None) => f.write_str("-"),
        }
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
