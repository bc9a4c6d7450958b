//! DNP3 over TCP (IEEE 1815-2012): data link frames with a CRC after the header
//! and after every 16-byte block of user data (clause 9.2), a one-octet transport
//! header (clause 8), and application fragments (clause 4).

use super::Put;

/// CRC-16/DNP (poly 0x3D65 reflected, init 0, final complement; IEEE 1815 9.2.5).
pub fn crc(data: &[u8]) -> u16 {
    let mut c: u16 = 0;
    for &b in data {
        c ^= u16::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xa6bc
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Function codes used by the simulator (IEEE 1815 table 4-1).
pub mod fc {
    /// READ.
    pub const READ: u8 = 0x01;
    /// DIRECT_OPERATE.
    pub const DIRECT_OPERATE: u8 = 0x05;
    /// COLD_RESTART.
    pub const COLD_RESTART: u8 = 0x0d;
    /// RESPONSE.
    pub const RESPONSE: u8 = 0x81;
}

/// Wraps application bytes `app` in a transport segment and a link frame.
/// `from_master` sets DIR; both ends send unconfirmed user data (FC 4, PRM=1).
pub fn frame(b: &mut Vec<u8>, from_master: bool, dst: u16, src: u16, tseq: u8, app: &[u8]) {
    let user_len = 1 + app.len();
    let start = b.len();
    b.bytes(&[0x05, 0x64, (5 + user_len) as u8]);
    b.u8(if from_master { 0xc4 } else { 0x44 });
    b.le16(dst);
    b.le16(src);
    let c = crc(&b[start..start + 8]);
    b.le16(c);
    let mut user = [0u8; 250];
    user[0] = 0xc0 | (tseq & 0x3f); // FIR | FIN | seq
    let n = app.len().min(249);
    user[1..1 + n].copy_from_slice(&app[..n]);
    for block in user[..1 + n].chunks(16) {
        b.bytes(block);
        let c = crc(block);
        b.le16(c);
    }
}

/// Application request header: control (FIR|FIN|seq) and function.
pub fn app_req(a: &mut Vec<u8>, seq: u8, func: u8) {
    a.u8(0xc0 | (seq & 0x0f));
    a.u8(func);
}

/// Application response header with IIN bits.
pub fn app_resp(a: &mut Vec<u8>, seq: u8, iin: u16) {
    a.u8(0xc0 | (seq & 0x0f));
    a.u8(fc::RESPONSE);
    a.be16(iin);
}

/// Class data object headers: g60 v(class+1), qualifier 0x06 (all).
pub fn class_read(a: &mut Vec<u8>, classes: &[u8]) {
    for c in classes {
        a.bytes(&[60, c + 1, 0x06]);
    }
}

/// g1v2 binary inputs with flags, points 0..n (qualifier 0x00 start-stop).
pub fn g1v2(a: &mut Vec<u8>, states: &[bool]) {
    a.bytes(&[1, 2, 0x00, 0, (states.len() - 1) as u8]);
    for s in states {
        a.u8(if *s { 0x81 } else { 0x01 });
    }
}

/// g30v1 32-bit analog inputs with flag, points 0..n.
pub fn g30v1(a: &mut Vec<u8>, values: &[i32]) {
    a.bytes(&[30, 1, 0x00, 0, (values.len() - 1) as u8]);
    for v in values {
        a.u8(0x01);
        a.bytes(&v.to_le_bytes());
    }
}

/// g32v1 analog change events, qualifier 0x17 (1-byte count and index).
pub fn g32v1(a: &mut Vec<u8>, events: &[(u8, i32)]) {
    a.bytes(&[32, 1, 0x17, events.len() as u8]);
    for (i, v) in events {
        a.u8(*i);
        a.u8(0x01);
        a.bytes(&v.to_le_bytes());
    }
}

/// g12v1 CROB on point `index`, qualifier 0x28 (2-byte count and index).
pub fn g12v1(a: &mut Vec<u8>, index: u16, code: u8, status: u8) {
    a.bytes(&[12, 1, 0x28]);
    a.le16(1);
    a.le16(index);
    a.u8(code);
    a.u8(1); // count
    a.le32(1000); // on time
    a.le32(0); // off time
    a.u8(status);
}

/// g52v2 time delay fine (response to cold restart).
pub fn g52v2(a: &mut Vec<u8>, ms: u16) {
    a.bytes(&[52, 2, 0x07, 1]);
    a.le16(ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        // CRC-16/DNP check value over "123456789" (reveng catalogue).
        assert_eq!(crc(b"123456789"), 0xea82);
    }
}
