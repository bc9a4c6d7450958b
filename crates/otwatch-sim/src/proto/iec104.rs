//! IEC 60870-5-104: APCI (clause 5) with I, S and U formats, and ASDUs of
//! IEC 60870-5-101 (M_SP_NA_1, M_ME_NC_1, C_IC_NA_1), common address of 2 octets,
//! cause of transmission of 2 octets, IOA of 3 octets (104 clause 9).

use super::Put;

/// U-format STARTDT act.
pub const STARTDT_ACT: u8 = 0x07;
/// U-format STARTDT con.
pub const STARTDT_CON: u8 = 0x0b;
/// U-format TESTFR act.
pub const TESTFR_ACT: u8 = 0x43;
/// U-format TESTFR con.
pub const TESTFR_CON: u8 = 0x83;

/// Cause of transmission: spontaneous.
pub const COT_SPONT: u8 = 3;
/// Cause of transmission: activation.
pub const COT_ACT: u8 = 6;
/// Cause of transmission: activation confirmation.
pub const COT_ACTCON: u8 = 7;
/// Cause of transmission: activation termination.
pub const COT_ACTTERM: u8 = 10;
/// Cause of transmission: interrogated by station interrogation.
pub const COT_INROGEN: u8 = 20;

/// A U-format frame.
pub fn u_frame(b: &mut Vec<u8>, code: u8) {
    b.bytes(&[0x68, 4, code, 0, 0, 0]);
}

/// An S-format frame acknowledging up to `rx`.
pub fn s_frame(b: &mut Vec<u8>, rx: u16) {
    b.bytes(&[0x68, 4, 0x01, 0x00]);
    b.le16(rx << 1);
}

/// Starts an I-frame with an ASDU header; returns the APCI start for [`i_fix`].
pub fn i_start(b: &mut Vec<u8>, tx: u16, rx: u16, type_id: u8, n: u8, cot: u8, ca: u16) -> usize {
    let at = b.len();
    b.bytes(&[0x68, 0]);
    b.le16(tx << 1);
    b.le16(rx << 1);
    b.u8(type_id);
    b.u8(n & 0x7f); // VSQ: SQ=0, n objects
    b.u8(cot);
    b.u8(0); // originator address
    b.le16(ca);
    at
}

/// Patches the APDU length.
pub fn i_fix(b: &mut [u8], at: usize) {
    b[at + 1] = (b.len() - at - 2) as u8;
}

fn ioa(b: &mut Vec<u8>, a: u32) {
    b.bytes(&[a as u8, (a >> 8) as u8, (a >> 16) as u8]);
}

/// M_ME_NC_1 (13) element: IOA, short float, QDS.
pub fn me_nc(b: &mut Vec<u8>, addr: u32, v: f32) {
    ioa(b, addr);
    b.bytes(&v.to_le_bytes());
    b.u8(0);
}

/// M_SP_NA_1 (1) element: IOA, SIQ.
pub fn sp_na(b: &mut Vec<u8>, addr: u32, on: bool) {
    ioa(b, addr);
    b.u8(u8::from(on));
}

/// C_IC_NA_1 (100) element: IOA 0, QOI 20 (station interrogation).
pub fn ic_na(b: &mut Vec<u8>) {
    ioa(b, 0);
    b.u8(20);
}
