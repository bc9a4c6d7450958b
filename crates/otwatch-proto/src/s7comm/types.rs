//! TPKT, COTP, S7comm and S7comm-plus PDUs and open code newtypes.

/// TPKT header bytes (version 3, reserved, length u16). RFC 1006, section 6.
pub const TPKT_HEADER_LEN: usize = 4;
/// Smallest TPKT length that can hold a COTP header (4 + LI + type + one byte).
pub const MIN_TPKT_LEN: usize = 7;
/// Cap on a reassembled S7 PDU (COTP DT fragments with EOT = 0). S7 PDUs are
/// negotiated at most 960 bytes (setup communication); S7comm-plus telegrams of S7-1500
/// reach a few KiB. 16 KiB leaves room and bounds per-flow memory.
pub const MAX_S7_PDU: usize = 16 * 1024;
/// Cap on items decoded per read/write request (a 960-byte PDU holds at most 80).
pub const MAX_ITEMS: usize = 128;
/// S7comm protocol id (first byte after COTP DT).
pub const S7_PROTOCOL_ID: u8 = 0x32;
/// S7comm-plus protocol id.
pub const S7PLUS_PROTOCOL_ID: u8 = 0x72;

/// COTP TPDU type code (high nibble of the second byte). ISO 8073, 13.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CotpType(pub u8);

impl CotpType {
    /// Connection request.
    pub const CR: CotpType = CotpType(0xe0);
    /// Connection confirm.
    pub const CC: CotpType = CotpType(0xd0);
    /// Disconnect request.
    pub const DR: CotpType = CotpType(0x80);
    /// Disconnect confirm.
    pub const DC: CotpType = CotpType(0xc0);
    /// Data.
    pub const DT: CotpType = CotpType(0xf0);
    /// Expedited data.
    pub const ED: CotpType = CotpType(0x10);
    /// Data acknowledgement.
    pub const AK: CotpType = CotpType(0x60);
    /// Expedited data acknowledgement.
    pub const EA: CotpType = CotpType(0x20);
    /// Reject.
    pub const RJ: CotpType = CotpType(0x50);
    /// TPDU error.
    pub const ER: CotpType = CotpType(0x70);
    /// True for the codes ISO 8073 defines.
    pub fn is_known(self) -> bool {
        matches!(
            self.0,
            0xe0 | 0xd0 | 0x80 | 0xc0 | 0xf0 | 0x10 | 0x60 | 0x20 | 0x50 | 0x70
        )
    }
}

/// A COTP connection request or confirm. ISO 8073, 13.3 / 13.4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CotpConnect<'a> {
    /// Destination reference.
    pub dst_ref: u16,
    /// Source reference.
    pub src_ref: u16,
    /// Class and options byte.
    pub class: u8,
    /// Calling TSAP (parameter 0xC1).
    pub src_tsap: Option<&'a [u8]>,
    /// Called TSAP (parameter 0xC2).
    pub dst_tsap: Option<&'a [u8]>,
    /// TPDU size code (parameter 0xC0): size = 2^code.
    pub tpdu_size: Option<u8>,
}

/// One COTP TPDU inside a TPKT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CotpPdu<'a> {
    /// CR.
    ConnectRequest(CotpConnect<'a>),
    /// CC.
    ConnectConfirm(CotpConnect<'a>),
    /// DT: a fragment of an S7 PDU; `eot` marks the last one.
    Data {
        /// End of TSDU.
        eot: bool,
        /// TPDU number.
        nr: u8,
        /// User data.
        payload: &'a [u8],
    },
    /// DR, DC, ED, AK, ... (kept by type).
    Other(CotpType),
}

/// ROSCTR (PDU type) of an S7comm header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rosctr(pub u8);

impl Rosctr {
    /// Job request.
    pub const JOB: Rosctr = Rosctr(1);
    /// Acknowledgement without data.
    pub const ACK: Rosctr = Rosctr(2);
    /// Acknowledgement with data (the response to a job).
    pub const ACK_DATA: Rosctr = Rosctr(3);
    /// User data (SZL, block, time, cyclic ...).
    pub const USERDATA: Rosctr = Rosctr(7);
    /// True for the four defined types.
    pub fn is_known(self) -> bool {
        matches!(self.0, 1 | 2 | 3 | 7)
    }
    /// True for ack and ack_data, whose header carries error class and code.
    pub fn has_error_fields(self) -> bool {
        matches!(self.0, 2 | 3)
    }
}

/// Job / ack_data function code (first parameter byte).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct S7Function(pub u8);

impl S7Function {
    /// CPU services.
    pub const CPU_SERVICES: S7Function = S7Function(0x00);
    /// Read variable.
    pub const READ_VAR: S7Function = S7Function(0x04);
    /// Write variable.
    pub const WRITE_VAR: S7Function = S7Function(0x05);
    /// Request download.
    pub const REQUEST_DOWNLOAD: S7Function = S7Function(0x1a);
    /// Download block.
    pub const DOWNLOAD_BLOCK: S7Function = S7Function(0x1b);
    /// Download ended.
    pub const DOWNLOAD_ENDED: S7Function = S7Function(0x1c);
    /// Start upload.
    pub const START_UPLOAD: S7Function = S7Function(0x1d);
    /// Upload.
    pub const UPLOAD: S7Function = S7Function(0x1e);
    /// End upload.
    pub const END_UPLOAD: S7Function = S7Function(0x1f);
    /// PI service (program invocation: start, compress, insert/delete block ...).
    pub const PI_SERVICE: S7Function = S7Function(0x28);
    /// PLC stop.
    pub const PLC_STOP: S7Function = S7Function(0x29);
    /// Setup communication.
    pub const SETUP_COMMUNICATION: S7Function = S7Function(0xf0);
}

/// S7comm header. Header is 10 bytes, 12 for ack / ack_data.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct S7Header {
    /// PDU type.
    pub rosctr: Rosctr,
    /// PDU reference pairing a job with its ack_data.
    pub pdu_ref: u16,
    /// Parameter length.
    pub param_len: u16,
    /// Data length.
    pub data_len: u16,
    /// Error class (ack / ack_data only).
    pub error_class: Option<u8>,
    /// Error code (ack / ack_data only).
    pub error_code: Option<u8>,
}

/// One S7comm PDU: header, parameter and data blocks, borrowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S7Pdu<'a> {
    /// Header.
    pub header: S7Header,
    /// Parameter block.
    pub param: &'a [u8],
    /// Data block.
    pub data: &'a [u8],
}

/// A read/write variable item specification (syntax id 0x10, S7ANY).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VarItem {
    /// Syntax id (0x10 S7ANY; 0xB0/0xB2 ... other addressing).
    pub syntax_id: u8,
    /// Transport size (element type: 1 BIT, 2 BYTE, 4 WORD, 8 REAL ...).
    pub transport_size: u8,
    /// Number of elements.
    pub length: u16,
    /// DB number (0 outside DB/DI).
    pub db: u16,
    /// Memory area code (0x84 DB, 0x83 M, 0x81 I, 0x82 Q ...).
    pub area: u8,
    /// Bit address (byte offset × 8 + bit).
    pub address: u32,
}

/// A data item of a read response or write request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DataItem<'a> {
    /// Return code (0xFF success in responses; 0x00 in write requests).
    pub return_code: u8,
    /// Data transport size (0x03 BIT, 0x04 BYTE/WORD/DWORD, 0x05 INT, 0x07 REAL, 0x09 OCTET STRING).
    pub transport_size: u8,
    /// Value bytes.
    pub data: &'a [u8],
}

/// Parameter block of a user data PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UserdataParam {
    /// Method (0x11 request, 0x12 response).
    pub method: u8,
    /// Type nibble: 0 push, 4 request, 8 response.
    pub kind: u8,
    /// Function group nibble (1 programmer, 2 cyclic, 3 block, 4 CPU, 5 security, 7 time).
    pub group: u8,
    /// Sub-function.
    pub subfunction: u8,
    /// Sequence number.
    pub seq: u8,
    /// Last data unit (0 = yes) and error code, in responses.
    pub last_data_unit: Option<u8>,
    /// Error code, in responses.
    pub error_code: Option<u16>,
}

/// Data block of a user data PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UserdataData<'a> {
    /// Return code (0xFF success).
    pub return_code: u8,
    /// Transport size.
    pub transport_size: u8,
    /// Payload.
    pub data: &'a [u8],
}

/// Header of an SZL response payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SzlList<'a> {
    /// SZL id.
    pub id: u16,
    /// SZL index.
    pub index: u16,
    /// Length of one record.
    pub record_len: u16,
    /// Number of records.
    pub count: u16,
    /// Record bytes (at most `record_len * count`).
    pub records: &'a [u8],
}

/// An S7comm-plus telegram header and the first fields of its data part.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct S7PlusPdu {
    /// Protocol version (1 V1, 2 V2, 3 V3, 0xFE keep-alive / 0xFF).
    pub version: u8,
    /// Data length from the header.
    pub data_len: u16,
    /// Opcode (0x31 request, 0x32 response, 0x33 notification, 0x02 response2).
    pub opcode: Option<u8>,
    /// Function code.
    pub function: Option<u16>,
    /// Sequence number.
    pub seq: Option<u16>,
    /// Session id (requests).
    pub session_id: Option<u32>,
    /// An integrity part (digest) precedes the data.
    pub integrity: bool,
}
