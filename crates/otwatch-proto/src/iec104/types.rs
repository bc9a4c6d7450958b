//! IEC 60870-5-104 APDUs and ASDUs, with open code newtypes.

/// APCI start byte. IEC 60870-5-104, 5.1.
pub const START: u8 = 0x68;
/// Smallest APDU length field (control field only). IEC 60870-5-104, 5.1.
pub const MIN_APDU_LEN: usize = 4;
/// Largest APDU length field. IEC 60870-5-104, 5.1 (APDU max 255 octets).
pub const MAX_APDU_LEN: usize = 253;
/// ASDU header bytes with 2-byte COT and 2-byte common address (the 104 profile).
pub const ASDU_HEADER_LEN: usize = 6;
/// IOA size in the 104 profile. IEC 60870-5-104, 9.
pub const IOA_LEN: usize = 3;

/// U-frame function. IEC 60870-5-104, 5.3.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UFunction {
    /// STARTDT act.
    StartDtAct,
    /// STARTDT con.
    StartDtCon,
    /// STOPDT act.
    StopDtAct,
    /// STOPDT con.
    StopDtCon,
    /// TESTFR act.
    TestFrAct,
    /// TESTFR con.
    TestFrCon,
}

impl UFunction {
    /// From the first control octet.
    pub fn from_cf1(b: u8) -> Option<UFunction> {
        Some(match b {
            0x07 => UFunction::StartDtAct,
            0x0b => UFunction::StartDtCon,
            0x13 => UFunction::StopDtAct,
            0x23 => UFunction::StopDtCon,
            0x43 => UFunction::TestFrAct,
            0x83 => UFunction::TestFrCon,
            _ => return None,
        })
    }
    /// True for the `act` half.
    pub fn is_act(self) -> bool {
        matches!(
            self,
            UFunction::StartDtAct | UFunction::StopDtAct | UFunction::TestFrAct
        )
    }
    /// The procedure name (`startdt`, `stopdt`, `testfr`).
    pub fn name(self) -> &'static str {
        match self {
            UFunction::StartDtAct | UFunction::StartDtCon => "startdt",
            UFunction::StopDtAct | UFunction::StopDtCon => "stopdt",
            UFunction::TestFrAct | UFunction::TestFrCon => "testfr",
        }
    }
}

/// The APCI frame format and its control-field contents.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Apci {
    /// Information transfer: send and receive sequence numbers.
    I {
        /// N(S).
        send_seq: u16,
        /// N(R).
        recv_seq: u16,
    },
    /// Supervisory: receive sequence number.
    S {
        /// N(R).
        recv_seq: u16,
    },
    /// Unnumbered control function.
    U(UFunction),
}

/// One APDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Apdu<'a> {
    /// Control field.
    pub apci: Apci,
    /// ASDU bytes (I-frames; empty otherwise).
    pub asdu: &'a [u8],
}

/// ASDU type identification, open. IEC 60870-5-101, 7.2.1.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeId(pub u8);

/// Cause of transmission byte, open. IEC 60870-5-101, 7.2.3.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cot(pub u8);

impl Cot {
    /// Cause (bits 0-5).
    pub fn cause(self) -> u8 {
        self.0 & 0x3f
    }
    /// P/N bit: negative confirmation.
    pub fn negative(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// T bit: test.
    pub fn test(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// ASDU header (data unit identifier). IEC 60870-5-101, 7.2.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AsduHeader {
    /// Type identification.
    pub type_id: TypeId,
    /// SQ bit: one IOA followed by a sequence of elements.
    pub sq: bool,
    /// Number of objects / elements.
    pub num: u8,
    /// Cause of transmission.
    pub cot: Cot,
    /// Originator address.
    pub originator: u8,
    /// Common address of ASDU.
    pub common_address: u16,
}

/// One information object: address and element bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct InfoObject<'a> {
    /// Information object address.
    pub ioa: u32,
    /// Element bytes (information element(s) + time tag).
    pub element: &'a [u8],
}
