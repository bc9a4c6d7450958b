//! Modbus/TCP (Modbus Application Protocol v1.1b3; Modbus Messaging on TCP/IP v1.0b).

use super::Put;

/// Exception code 01: illegal function (MAP v1.1b3, 7).
pub const EX_ILLEGAL_FUNCTION: u8 = 0x01;
/// Exception code 02: illegal data address.
pub const EX_ILLEGAL_ADDRESS: u8 = 0x02;

fn mbap(b: &mut Vec<u8>, tid: u16, unit: u8) -> usize {
    b.be16(tid);
    b.be16(0); // protocol id
    let at = b.len();
    b.be16(0); // length, patched
    b.u8(unit);
    at
}

fn fix(b: &mut Vec<u8>, at: usize) {
    let len = (b.len() - at - 2) as u16;
    b.set_be16(at, len);
}

/// FC 3 Read Holding Registers request (6.3).
pub fn read_holding_req(b: &mut Vec<u8>, tid: u16, unit: u8, addr: u16, qty: u16) {
    read_req(b, tid, unit, 3, addr, qty);
}

/// A read request with address and quantity (FC 1-4).
pub fn read_req(b: &mut Vec<u8>, tid: u16, unit: u8, fc: u8, addr: u16, qty: u16) {
    let at = mbap(b, tid, unit);
    b.u8(fc);
    b.be16(addr);
    b.be16(qty);
    fix(b, at);
}

/// FC 3/4 response carrying `values`.
pub fn read_regs_resp(b: &mut Vec<u8>, tid: u16, unit: u8, fc: u8, values: &[u16]) {
    let at = mbap(b, tid, unit);
    b.u8(fc);
    b.u8((values.len() * 2) as u8);
    for v in values {
        b.be16(*v);
    }
    fix(b, at);
}

/// FC 6 Write Single Register request; the normal response echoes it (6.6).
pub fn write_single(b: &mut Vec<u8>, tid: u16, unit: u8, addr: u16, value: u16) {
    let at = mbap(b, tid, unit);
    b.u8(6);
    b.be16(addr);
    b.be16(value);
    fix(b, at);
}

/// FC 16 Write Multiple Registers request (6.12).
pub fn write_multiple_req(b: &mut Vec<u8>, tid: u16, unit: u8, addr: u16, values: &[u16]) {
    let at = mbap(b, tid, unit);
    b.u8(16);
    b.be16(addr);
    b.be16(values.len() as u16);
    b.u8((values.len() * 2) as u8);
    for v in values {
        b.be16(*v);
    }
    fix(b, at);
}

/// FC 16 response.
pub fn write_multiple_resp(b: &mut Vec<u8>, tid: u16, unit: u8, addr: u16, qty: u16) {
    let at = mbap(b, tid, unit);
    b.u8(16);
    b.be16(addr);
    b.be16(qty);
    fix(b, at);
}

/// Exception response (7).
pub fn exception(b: &mut Vec<u8>, tid: u16, unit: u8, fc: u8, code: u8) {
    let at = mbap(b, tid, unit);
    b.u8(fc | 0x80);
    b.u8(code);
    fix(b, at);
}

/// A request of an arbitrary function code with a body shaped as the spec asks
/// (used by sweeps): FC 15/16 write one element, 22 mask write, 23 read/write,
/// FC 7/11/12/17 have no body, the rest get address + quantity.
pub fn raw_req(b: &mut Vec<u8>, tid: u16, unit: u8, fc: u8) {
    let at = mbap(b, tid, unit);
    b.u8(fc);
    match fc {
        7 | 11 | 12 | 17 => {}
        15 => b.bytes(&[0, 0, 0, 1, 1, 0]),
        16 => b.bytes(&[0, 0, 0, 1, 2, 0, 0]),
        22 => b.bytes(&[0, 0, 0xff, 0xff, 0, 0]),
        23 => b.bytes(&[0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0]),
        _ => {
            b.be16(0);
            b.be16(1);
        }
    }
    fix(b, at);
}

/// FC 43 / MEI 14 Read Device Identification request, basic stream (6.21).
pub fn read_device_id_req(b: &mut Vec<u8>, tid: u16, unit: u8) {
    let at = mbap(b, tid, unit);
    b.bytes(&[0x2b, 0x0e, 0x01, 0x00]);
    fix(b, at);
}

/// FC 43 / MEI 14 response with VendorName, ProductCode, MajorMinorRevision.
pub fn read_device_id_resp(
    b: &mut Vec<u8>,
    tid: u16,
    unit: u8,
    vendor: &str,
    product: &str,
    rev: &str,
) {
    let at = mbap(b, tid, unit);
    b.bytes(&[0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03]);
    for (id, s) in [(0u8, vendor), (1, product), (2, rev)] {
        b.u8(id);
        b.u8(s.len() as u8);
        b.bytes(s.as_bytes());
    }
    fix(b, at);
}
