//! EtherNet/IP encapsulation and CIP (ODVA CIP Vol. 1 and Vol. 2, Edition 3.x):
//! RegisterSession (0x65), ListIdentity (0x63), SendRRData (0x6F) with CIP
//! Get_Attribute_Single, Reset and Unconnected Send carrying Read Tag (0x4C).

use super::Put;

/// Encapsulation command RegisterSession.
const REGISTER_SESSION: u16 = 0x0065;
/// Encapsulation command ListIdentity.
const LIST_IDENTITY: u16 = 0x0063;
/// Encapsulation command SendRRData.
const SEND_RR_DATA: u16 = 0x006f;

fn encap(b: &mut Vec<u8>, cmd: u16, session: u32, ctx: u64) -> usize {
    b.le16(cmd);
    let at = b.len();
    b.le16(0);
    b.le32(session);
    b.le32(0); // status
    b.le64(ctx);
    b.le32(0); // options
    at
}

fn encap_fix(b: &mut Vec<u8>, at: usize) {
    let len = (b.len() - at - 22) as u16;
    b.set_le16(at, len);
}

/// RegisterSession request (session 0) or reply (assigned session).
pub fn register_session(b: &mut Vec<u8>, session: u32, ctx: u64) {
    let at = encap(b, REGISTER_SESSION, session, ctx);
    b.le16(1); // protocol version
    b.le16(0); // options
    encap_fix(b, at);
}

/// ListIdentity request.
pub fn list_identity_req(b: &mut Vec<u8>, ctx: u64) {
    let at = encap(b, LIST_IDENTITY, 0, ctx);
    encap_fix(b, at);
}

/// Identity of a CIP device.
#[derive(Clone, Debug)]
pub struct Identity {
    /// Vendor id (1 = Rockwell Automation/Allen-Bradley).
    pub vendor: u16,
    /// Device type (0x0E = programmable logic controller).
    pub device_type: u16,
    /// Product code.
    pub product_code: u16,
    /// Revision (major, minor).
    pub revision: (u8, u8),
    /// Serial number.
    pub serial: u32,
    /// Product name.
    pub name: String,
}

/// ListIdentity reply with one CIP Identity item (type 0x0C).
pub fn list_identity_resp(b: &mut Vec<u8>, ctx: u64, ip: [u8; 4], id: &Identity) {
    let at = encap(b, LIST_IDENTITY, 0, ctx);
    b.le16(1); // item count
    b.le16(0x000c);
    let item = b.len();
    b.le16(0);
    b.le16(1); // encapsulation protocol version
    b.be16(2); // sin_family
    b.be16(44818);
    b.bytes(&ip);
    b.bytes(&[0; 8]);
    b.le16(id.vendor);
    b.le16(id.device_type);
    b.le16(id.product_code);
    b.u8(id.revision.0);
    b.u8(id.revision.1);
    b.le16(0x0060); // status
    b.le32(id.serial);
    b.u8(id.name.len() as u8);
    b.bytes(id.name.as_bytes());
    b.u8(3); // state
    let ilen = (b.len() - item - 2) as u16;
    b.set_le16(item, ilen);
    encap_fix(b, at);
}

fn rr_start(b: &mut Vec<u8>, session: u32, ctx: u64) -> (usize, usize) {
    let at = encap(b, SEND_RR_DATA, session, ctx);
    b.le32(0); // interface handle
    b.le16(10); // timeout
    b.le16(2); // item count
    b.le16(0x0000); // null address item
    b.le16(0);
    b.le16(0x00b2); // unconnected data item
    let item = b.len();
    b.le16(0);
    (at, item)
}

fn rr_fix(b: &mut Vec<u8>, at: usize, item: usize) {
    let ilen = (b.len() - item - 2) as u16;
    b.set_le16(item, ilen);
    encap_fix(b, at);
}

/// SendRRData: Get_Attribute_Single (0x0E) on class/instance/attribute.
pub fn get_attr_single_req(b: &mut Vec<u8>, session: u32, ctx: u64, class: u8, inst: u8, attr: u8) {
    let (at, item) = rr_start(b, session, ctx);
    b.bytes(&[0x0e, 3, 0x20, class, 0x24, inst, 0x30, attr]);
    rr_fix(b, at, item);
}

/// SendRRData reply for a CIP service with `data` (general status success).
pub fn cip_reply(b: &mut Vec<u8>, session: u32, ctx: u64, service: u8, data: &[u8]) {
    let (at, item) = rr_start(b, session, ctx);
    b.bytes(&[service | 0x80, 0, 0, 0]);
    b.bytes(data);
    rr_fix(b, at, item);
}

/// SendRRData: Reset (0x05) of the Identity object (used by firmware updates).
pub fn reset_req(b: &mut Vec<u8>, session: u32, ctx: u64) {
    let (at, item) = rr_start(b, session, ctx);
    b.bytes(&[0x05, 2, 0x20, 0x01, 0x24, 0x01]);
    rr_fix(b, at, item);
}

/// SendRRData: Unconnected Send (0x52) to the Connection Manager, embedding
/// Read Tag (0x4C) of `tag`, routed to backplane slot 0.
pub fn read_tag_req(b: &mut Vec<u8>, session: u32, ctx: u64, tag: &str) {
    let (at, item) = rr_start(b, session, ctx);
    b.bytes(&[0x52, 2, 0x20, 0x06, 0x24, 0x01]);
    b.bytes(&[0x07, 0xe9]); // priority/time tick, timeout ticks
    let padded = tag.len() + (tag.len() & 1);
    let msg_len = 2 + 2 + padded + 2;
    b.le16(msg_len as u16);
    b.u8(0x4c);
    b.u8(((2 + padded) / 2) as u8);
    b.u8(0x91);
    b.u8(tag.len() as u8);
    b.bytes(tag.as_bytes());
    if tag.len() & 1 == 1 {
        b.u8(0);
    }
    b.le16(1); // elements
    if msg_len & 1 == 1 {
        b.u8(0);
    }
    b.bytes(&[1, 0, 0x01, 0x00]); // route path: 1 word, reserved, port 1 slot 0
    rr_fix(b, at, item);
}

/// Read Tag reply with a REAL value.
pub fn read_tag_resp(b: &mut Vec<u8>, session: u32, ctx: u64, value: f32) {
    let (at, item) = rr_start(b, session, ctx);
    b.bytes(&[0xcc, 0, 0, 0]);
    b.le16(0x00ca);
    b.bytes(&value.to_le_bytes());
    rr_fix(b, at, item);
}
