//! OPC UA binary over TCP (OPC 10000-6, 7.1 UA Connection Protocol; 6.7 secure
//! conversation with SecurityPolicy#None; OPC 10000-4 services CreateSession,
//! ActivateSession, Read). Encoding per OPC 10000-6, 5.2 (binary).

use super::Put;

/// The SecurityPolicy URI for no security.
pub const POLICY_NONE: &str = "http://opcfoundation.org/UA/SecurityPolicy#None";

fn ua_string(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            b.le32(s.len() as u32);
            b.bytes(s.as_bytes());
        }
        None => b.le32(u32::MAX),
    }
}

fn node_fourbyte(b: &mut Vec<u8>, id: u16) {
    b.bytes(&[0x01, 0x00]);
    b.le16(id);
}

fn msg_start(b: &mut Vec<u8>, ty: &[u8; 3]) -> usize {
    let at = b.len();
    b.bytes(ty);
    b.u8(b'F');
    b.le32(0);
    at
}

fn msg_fix(b: &mut Vec<u8>, at: usize) {
    let len = (b.len() - at) as u32;
    b.set_le32(at + 4, len);
}

/// OPC UA DateTime: 100 ns ticks since 1601-01-01 from Unix nanoseconds.
pub fn datetime(unix_ns: i64) -> u64 {
    (unix_ns / 100 + 116_444_736_000_000_000) as u64
}

/// Hello.
pub fn hello(b: &mut Vec<u8>, url: &str) {
    let at = msg_start(b, b"HEL");
    b.le32(0);
    b.le32(65_536);
    b.le32(65_536);
    b.le32(16_777_216);
    b.le32(0);
    ua_string(b, Some(url));
    msg_fix(b, at);
}

/// Acknowledge.
pub fn ack(b: &mut Vec<u8>) {
    let at = msg_start(b, b"ACK");
    b.le32(0);
    b.le32(65_536);
    b.le32(65_536);
    b.le32(16_777_216);
    b.le32(0);
    msg_fix(b, at);
}

fn request_header(b: &mut Vec<u8>, token: u32, now: u64, handle: u32) {
    if token == 0 {
        b.bytes(&[0x00, 0x00]);
    } else {
        b.bytes(&[0x02, 0x01, 0x00]); // numeric, ns 1
        b.le32(token);
    }
    b.le64(now);
    b.le32(handle);
    b.le32(0); // return diagnostics
    ua_string(b, None); // audit entry id
    b.le32(10_000); // timeout hint
    b.bytes(&[0x00, 0x00, 0x00]); // additional header: null ExtensionObject
}

fn response_header(b: &mut Vec<u8>, now: u64, handle: u32) {
    b.le64(now);
    b.le32(handle);
    b.le32(0); // service result Good
    b.u8(0); // diagnostic info: empty mask
    b.le32(0); // string table: empty array
    b.bytes(&[0x00, 0x00, 0x00]);
}

/// OpenSecureChannel request (Issue, MessageSecurityMode None).
pub fn open_req(b: &mut Vec<u8>, seq: u32, req_id: u32, now: u64) {
    let at = msg_start(b, b"OPN");
    b.le32(0);
    ua_string(b, Some(POLICY_NONE));
    b.le32(u32::MAX);
    b.le32(u32::MAX);
    b.le32(seq);
    b.le32(req_id);
    node_fourbyte(b, 446);
    request_header(b, 0, now, 1);
    b.le32(0); // client protocol version
    b.le32(0); // Issue
    b.le32(1); // None
    b.le32(0); // client nonce: empty
    b.le32(3_600_000);
    msg_fix(b, at);
}

/// OpenSecureChannel response assigning `channel` / `token`.
pub fn open_resp(b: &mut Vec<u8>, channel: u32, token: u32, seq: u32, req_id: u32, now: u64) {
    let at = msg_start(b, b"OPN");
    b.le32(channel);
    ua_string(b, Some(POLICY_NONE));
    b.le32(u32::MAX);
    b.le32(u32::MAX);
    b.le32(seq);
    b.le32(req_id);
    node_fourbyte(b, 449);
    response_header(b, now, 1);
    b.le32(0);
    b.le32(channel);
    b.le32(token);
    b.le64(now);
    b.le32(3_600_000);
    b.le32(0); // server nonce: empty
    msg_fix(b, at);
}

/// Secure channel identity of one MSG chunk.
#[derive(Copy, Clone, Debug)]
pub struct Chan {
    /// Secure channel id.
    pub channel: u32,
    /// Token id.
    pub token: u32,
    /// Sequence number.
    pub seq: u32,
    /// Request id.
    pub req_id: u32,
}

fn msg(b: &mut Vec<u8>, c: Chan) -> usize {
    let at = msg_start(b, b"MSG");
    b.le32(c.channel);
    b.le32(c.token);
    b.le32(c.seq);
    b.le32(c.req_id);
    at
}

/// CreateSession request.
pub fn create_session_req(b: &mut Vec<u8>, c: Chan, now: u64, url: &str, name: &str) {
    let at = msg(b, c);
    node_fourbyte(b, 461);
    request_header(b, 0, now, c.req_id);
    ua_string(b, Some("urn:plant:historian"));
    ua_string(b, Some("urn:plant:historian:product"));
    b.u8(0x02);
    ua_string(b, Some(name));
    b.le32(1); // client
    ua_string(b, None);
    ua_string(b, None);
    b.le32(u32::MAX); // discovery urls: null array
    ua_string(b, None); // server uri
    ua_string(b, Some(url));
    ua_string(b, Some(name));
    b.le32(u32::MAX); // client nonce
    b.le32(u32::MAX); // client certificate
    b.bytes(&1_200_000f64.to_le_bytes());
    b.le32(16_777_216);
    msg_fix(b, at);
}

/// CreateSession response.
pub fn create_session_resp(b: &mut Vec<u8>, c: Chan, now: u64, session: u32, token: u32) {
    let at = msg(b, c);
    node_fourbyte(b, 464);
    response_header(b, now, c.req_id);
    b.bytes(&[0x02, 0x01, 0x00]);
    b.le32(session);
    b.bytes(&[0x02, 0x01, 0x00]);
    b.le32(token);
    b.bytes(&1_200_000f64.to_le_bytes());
    b.le32(u32::MAX); // server nonce
    b.le32(u32::MAX); // server certificate
    b.le32(0); // endpoints
    b.le32(0); // software certificates
    ua_string(b, None); // signature algorithm
    b.le32(u32::MAX); // signature
    b.le32(16_777_216);
    msg_fix(b, at);
}

/// ActivateSession request with an anonymous identity token.
pub fn activate_session_req(b: &mut Vec<u8>, c: Chan, now: u64, token: u32) {
    let at = msg(b, c);
    node_fourbyte(b, 467);
    request_header(b, token, now, c.req_id);
    ua_string(b, None);
    b.le32(u32::MAX);
    b.le32(0); // software certificates
    b.le32(0); // locale ids
    node_fourbyte(b, 321); // AnonymousIdentityToken_Encoding_DefaultBinary
    b.u8(0x01);
    let policy = "anonymous";
    b.le32((4 + policy.len()) as u32);
    ua_string(b, Some(policy));
    ua_string(b, None);
    b.le32(u32::MAX);
    msg_fix(b, at);
}

/// ActivateSession response.
pub fn activate_session_resp(b: &mut Vec<u8>, c: Chan, now: u64) {
    let at = msg(b, c);
    node_fourbyte(b, 470);
    response_header(b, now, c.req_id);
    b.le32(u32::MAX); // server nonce
    b.le32(0); // results
    b.le32(0); // diagnostic infos
    msg_fix(b, at);
}

/// Read request of the Value attribute of numeric nodes `ns=2;i=<id>`.
pub fn read_req(b: &mut Vec<u8>, c: Chan, now: u64, token: u32, nodes: &[u16]) {
    let at = msg(b, c);
    node_fourbyte(b, 631);
    request_header(b, token, now, c.req_id);
    b.bytes(&0f64.to_le_bytes()); // max age
    b.le32(0); // timestamps to return: source
    b.le32(nodes.len() as u32);
    for id in nodes {
        b.bytes(&[0x01, 0x02]);
        b.le16(*id);
        b.le32(13); // Value
        ua_string(b, None);
        b.le16(0);
        ua_string(b, None);
    }
    msg_fix(b, at);
}

/// Read response with Double values.
pub fn read_resp(b: &mut Vec<u8>, c: Chan, now: u64, values: &[f64]) {
    let at = msg(b, c);
    node_fourbyte(b, 634);
    response_header(b, now, c.req_id);
    b.le32(values.len() as u32);
    for v in values {
        b.u8(0x05); // value + source timestamp
        b.u8(11); // Double
        b.bytes(&v.to_le_bytes());
        b.le64(now);
    }
    b.le32(0);
    msg_fix(b, at);
}
