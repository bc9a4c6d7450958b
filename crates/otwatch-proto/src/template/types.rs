//! PDUs of the toy protocol.

/// Largest `len` value (fc + body). Toy spec, section "framing".
pub const MAX_LEN: usize = 253;
/// Bytes before the fc: magic (2), txid (2), len (2).
pub const HEADER_LEN: usize = 6;

/// Function code, open: unknown values survive as themselves.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// Read request.
    pub const READ: FunctionCode = FunctionCode(0x01);
    /// Write request.
    pub const WRITE: FunctionCode = FunctionCode(0x02);
    /// The code with the response bit cleared.
    pub fn base(self) -> FunctionCode {
        FunctionCode(self.0 & 0x7f)
    }
    /// True when the response bit is set.
    pub fn is_response(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplatePdu<'a> {
    /// Transaction id pairing request and response.
    pub txid: u16,
    /// Function code.
    pub fc: FunctionCode,
    /// Body after the function code (borrowed: zero-copy).
    pub body: &'a [u8],
}
