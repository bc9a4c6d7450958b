//! EtherNet/IP encapsulation and CIP PDUs, with open code newtypes.

/// Bytes of the encapsulation header. ODVA CIP Vol. 2, 2-3.
pub const ENCAP_HEADER_LEN: usize = 24;
/// Largest encapsulation data length accepted: the length field is 16-bit, and
/// Vol. 2 2-3.2 caps a TCP encapsulation message at 65535 bytes in total.
pub const MAX_ENCAP_DATA: usize = 65_511;
/// Largest CPF item count we walk. Vol. 2 2-6: real messages carry 2-4 items.
pub const MAX_CPF_ITEMS: usize = 16;
/// Symbolic segments kept per EPATH (`Program:Main.Struct.Member` has 3).
pub const MAX_SYMBOLS: usize = 8;

/// Encapsulation command, open: unknown values survive.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command(pub u16);

impl Command {
    /// NOP (TCP only, no reply).
    pub const NOP: Command = Command(0x0000);
    /// ListServices.
    pub const LIST_SERVICES: Command = Command(0x0004);
    /// ListIdentity.
    pub const LIST_IDENTITY: Command = Command(0x0063);
    /// ListInterfaces.
    pub const LIST_INTERFACES: Command = Command(0x0064);
    /// RegisterSession.
    pub const REGISTER_SESSION: Command = Command(0x0065);
    /// UnRegisterSession (no reply).
    pub const UNREGISTER_SESSION: Command = Command(0x0066);
    /// SendRRData: unconnected request/response.
    pub const SEND_RR_DATA: Command = Command(0x006f);
    /// SendUnitData: connected (class 3) messaging.
    pub const SEND_UNIT_DATA: Command = Command(0x0070);
    /// IndicateStatus.
    pub const INDICATE_STATUS: Command = Command(0x0072);
    /// Cancel.
    pub const CANCEL: Command = Command(0x0073);

    /// True for the commands defined by Vol. 2 table 2-3.2.
    pub fn is_known(self) -> bool {
        matches!(
            self.0,
            0x0000 | 0x0004 | 0x0063 | 0x0064 | 0x0065 | 0x0066 | 0x006f | 0x0070 | 0x0072 | 0x0073
        )
    }
}

/// The 24-byte encapsulation header (little-endian).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EncapHeader {
    /// Command.
    pub command: Command,
    /// Bytes of data after the header.
    pub length: u16,
    /// Session handle (from RegisterSession).
    pub session: u32,
    /// Encapsulation status (0 = success).
    pub status: u32,
    /// Sender context, echoed by the target.
    pub context: [u8; 8],
    /// Options (must be 0).
    pub options: u32,
}

/// One encapsulation message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EncapPdu<'a> {
    /// Header.
    pub header: EncapHeader,
    /// Data after the header (borrowed).
    pub data: &'a [u8],
}

/// Common Packet Format item type ids. Vol. 2 2-6.
pub mod item {
    /// Null address (unconnected).
    pub const NULL_ADDRESS: u16 = 0x0000;
    /// ListIdentity response item.
    pub const LIST_IDENTITY: u16 = 0x000c;
    /// Connected address (connection id).
    pub const CONNECTED_ADDRESS: u16 = 0x00a1;
    /// Connected data (sequence count + CIP).
    pub const CONNECTED_DATA: u16 = 0x00b1;
    /// Unconnected data (CIP).
    pub const UNCONNECTED_DATA: u16 = 0x00b2;
    /// ListServices response item.
    pub const LIST_SERVICES: u16 = 0x0100;
    /// Sequenced address (implicit I/O).
    pub const SEQUENCED_ADDRESS: u16 = 0x8002;
}

/// One CPF item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CpfItem<'a> {
    /// Item type id.
    pub type_id: u16,
    /// Item data (borrowed).
    pub data: &'a [u8],
}

/// The identity item of a ListIdentity reply. Vol. 2 2-4.3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityItem<'a> {
    /// Encapsulation protocol version.
    pub protocol_version: u16,
    /// Socket address: IPv4 (big-endian in the item).
    pub ip: [u8; 4],
    /// Socket port.
    pub port: u16,
    /// CIP vendor id.
    pub vendor_id: u16,
    /// CIP device type.
    pub device_type: u16,
    /// Product code.
    pub product_code: u16,
    /// Revision major.
    pub revision_major: u8,
    /// Revision minor.
    pub revision_minor: u8,
    /// Identity status word.
    pub status: u16,
    /// Serial number.
    pub serial: u32,
    /// Product name (raw, short string).
    pub product_name: &'a [u8],
    /// State byte, when present.
    pub state: Option<u8>,
}

/// CIP service code, open. Bit 7 marks a response.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Service(pub u8);

impl Service {
    /// The code without the response bit.
    pub fn base(self) -> u8 {
        self.0 & 0x7f
    }
    /// True for responses.
    pub fn is_response(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// Multiple Service Packet.
    pub const MULTIPLE: u8 = 0x0a;
    /// Unconnected Send (Connection Manager).
    pub const UNCONNECTED_SEND: u8 = 0x52;
    /// Forward Open (Connection Manager).
    pub const FORWARD_OPEN: u8 = 0x54;
    /// Large Forward Open (Connection Manager).
    pub const LARGE_FORWARD_OPEN: u8 = 0x5b;
    /// Forward Close (Connection Manager).
    pub const FORWARD_CLOSE: u8 = 0x4e;
}

/// A decoded EPATH (padded, Vol. 1 C-1). Only the parts otwatch reports are kept.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct EPath<'a> {
    /// Class id (logical type 0).
    pub class: Option<u32>,
    /// Instance id (logical type 1).
    pub instance: Option<u32>,
    /// Attribute id (logical type 4).
    pub attribute: Option<u32>,
    /// Member / element id (logical type 2).
    pub member: Option<u32>,
    /// Connection point (logical type 3).
    pub connection_point: Option<u32>,
    /// First port segment: (port, first link address byte).
    pub port: Option<(u16, u8)>,
    /// ANSI extended symbolic segments (tag names), in order.
    pub symbols: [&'a [u8]; MAX_SYMBOLS],
    /// Symbols used in `symbols`.
    pub n_symbols: usize,
    /// True when the path held a segment otwatch does not decode (or was truncated).
    pub unparsed: bool,
}

/// A CIP request message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CipRequest<'a> {
    /// Service code (response bit clear).
    pub service: Service,
    /// Request path.
    pub path: EPath<'a>,
    /// Request data after the path.
    pub data: &'a [u8],
}

/// A CIP response message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CipResponse<'a> {
    /// Service code (response bit set).
    pub service: Service,
    /// General status (0 = success).
    pub general_status: u8,
    /// First additional status word, if any.
    pub ext_status: Option<u16>,
    /// Response data.
    pub data: &'a [u8],
}

/// A CIP message: request or response.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CipMessage<'a> {
    /// Request.
    Request(CipRequest<'a>),
    /// Response.
    Response(CipResponse<'a>),
}
