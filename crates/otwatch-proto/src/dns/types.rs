//! DNS message types (RFC 1035 4.1).

use std::net::IpAddr;

/// Bytes of the fixed header (RFC 1035 4.1.1).
pub const HEADER_LEN: usize = 12;
/// Questions kept per message (real queries carry one).
pub const MAX_QUESTIONS: usize = 4;
/// Answer records kept per message; the rest are counted (`answers_truncated`).
pub const MAX_ANSWERS: usize = 16;
/// Compression pointers followed per name before it is declared a loop.
pub const MAX_POINTERS: usize = 32;
/// Longest name in wire octets (RFC 1035 2.3.4).
pub const MAX_NAME_LEN: usize = 255;

/// Which protocol of the DNS family a flow carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Unicast DNS (RFC 1035).
    Dns,
    /// Multicast DNS (RFC 6762).
    Mdns,
    /// Link-local multicast name resolution (RFC 4795).
    Llmnr,
    /// NetBIOS name service (RFC 1002).
    Nbns,
}

impl Flavor {
    /// The `proto` name of events.
    pub fn proto(self) -> &'static str {
        match self {
            Flavor::Dns => "dns",
            Flavor::Mdns => "mdns",
            Flavor::Llmnr => "llmnr",
            Flavor::Nbns => "nbns",
        }
    }
}

/// The fixed header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DnsHeader {
    /// Message id.
    pub id: u16,
    /// Flags word (QR, opcode, AA, TC, RD, RA, Z, rcode).
    pub flags: u16,
    /// Question count.
    pub qdcount: u16,
    /// Answer count.
    pub ancount: u16,
    /// Authority count.
    pub nscount: u16,
    /// Additional count.
    pub arcount: u16,
}

impl DnsHeader {
    /// True for a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The opcode.
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }
    /// The response code.
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x0f) as u8
    }
    /// Truncation bit.
    pub fn truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    /// Authoritative answer bit.
    pub fn authoritative(&self) -> bool {
        self.flags & 0x0400 != 0
    }
}

/// One question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Name, dotted (NBNS names decoded as `NAME<xx>`).
    pub name: String,
    /// Query type.
    pub qtype: u16,
    /// Query class (top bit: mDNS unicast-response).
    pub qclass: u16,
}

/// Decoded record data of the types that name or address hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// An address (A, AAAA, NBNS NB).
    Addr(IpAddr),
    /// A name (CNAME, PTR, NS).
    Name(String),
    /// Anything else (not decoded).
    Other,
}

/// One resource record from the answer (or, for NBNS registrations, additional) section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: String,
    /// Record type.
    pub rtype: u16,
    /// Time to live.
    pub ttl: u32,
    /// Data.
    pub data: RData,
    /// NBNS NB flags: group name bit (RFC 1002 4.2.2).
    pub nb_group: bool,
}

/// A parsed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    /// Header.
    pub header: DnsHeader,
    /// Questions (at most [`MAX_QUESTIONS`]).
    pub questions: Vec<Question>,
    /// Answer records (at most [`MAX_ANSWERS`]); for NBNS requests the additional records.
    pub answers: Vec<Record>,
    /// Records dropped beyond [`MAX_ANSWERS`].
    pub answers_truncated: bool,
}
