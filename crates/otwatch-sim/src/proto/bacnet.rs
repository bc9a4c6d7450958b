//! BACnet/IP (ASHRAE 135-2020): BVLL (Annex J), NPDU (clause 6) and APDUs for
//! Who-Is, I-Am, ReadProperty, WriteProperty (clauses 15, 16, 20 tag encoding).

use super::Put;

/// Object type analog-value.
pub const ANALOG_VALUE: u16 = 2;
/// Object type analog-input.
pub const ANALOG_INPUT: u16 = 0;
/// Object type device.
pub const DEVICE: u16 = 8;
/// Property present-value.
pub const PRESENT_VALUE: u8 = 85;

fn bvll(b: &mut Vec<u8>, broadcast: bool) -> usize {
    let at = b.len();
    b.bytes(&[0x81, if broadcast { 0x0b } else { 0x0a }, 0, 0]);
    at
}

fn bvll_fix(b: &mut Vec<u8>, at: usize) {
    let len = (b.len() - at) as u16;
    b.set_be16(at + 2, len);
}

fn objid(b: &mut Vec<u8>, tag: u8, ty: u16, inst: u32) {
    b.u8(tag);
    b.be32((u32::from(ty) << 22) | (inst & 0x3f_ffff));
}

/// Who-Is (unconfirmed service 8), global.
pub fn who_is(b: &mut Vec<u8>) {
    let at = bvll(b, true);
    b.bytes(&[0x01, 0x00, 0x10, 0x08]);
    bvll_fix(b, at);
}

/// I-Am (unconfirmed service 0) for device `inst` of `vendor`.
pub fn i_am(b: &mut Vec<u8>, inst: u32, vendor: u16) {
    let at = bvll(b, true);
    b.bytes(&[0x01, 0x00, 0x10, 0x00]);
    objid(b, 0xc4, DEVICE, inst);
    b.bytes(&[0x22, 0x05, 0xc4]); // max APDU 1476
    b.bytes(&[0x91, 0x03]); // segmentation: none
    b.u8(0x22);
    b.be16(vendor);
    bvll_fix(b, at);
}

/// ReadProperty confirmed request (service 12).
pub fn read_property_req(b: &mut Vec<u8>, invoke: u8, ty: u16, inst: u32, prop: u8) {
    let at = bvll(b, false);
    b.bytes(&[0x01, 0x04, 0x00, 0x05, invoke, 0x0c]);
    objid(b, 0x0c, ty, inst);
    b.bytes(&[0x19, prop]);
    bvll_fix(b, at);
}

/// ReadProperty ComplexACK with a REAL value.
pub fn read_property_ack(b: &mut Vec<u8>, invoke: u8, ty: u16, inst: u32, prop: u8, v: f32) {
    let at = bvll(b, false);
    b.bytes(&[0x01, 0x00, 0x30, invoke, 0x0c]);
    objid(b, 0x0c, ty, inst);
    b.bytes(&[0x19, prop, 0x3e, 0x44]);
    b.bytes(&v.to_be_bytes());
    b.u8(0x3f);
    bvll_fix(b, at);
}

/// WriteProperty confirmed request (service 15) with a REAL value, priority 8.
pub fn write_property_req(b: &mut Vec<u8>, invoke: u8, ty: u16, inst: u32, prop: u8, v: f32) {
    let at = bvll(b, false);
    b.bytes(&[0x01, 0x04, 0x00, 0x05, invoke, 0x0f]);
    objid(b, 0x0c, ty, inst);
    b.bytes(&[0x19, prop, 0x3e, 0x44]);
    b.bytes(&v.to_be_bytes());
    b.bytes(&[0x3f, 0x49, 0x08]);
    bvll_fix(b, at);
}

/// SimpleACK for service `svc`.
pub fn simple_ack(b: &mut Vec<u8>, invoke: u8, svc: u8) {
    let at = bvll(b, false);
    b.bytes(&[0x01, 0x00, 0x20, invoke, svc]);
    bvll_fix(b, at);
}
