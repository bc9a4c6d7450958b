//! SMB2 over Direct TCP (MS-SMB2 2.1, 2.2), NTLMSSP (MS-NLMP 2.2.1) and the RDP
//! X.224 Connection Request/Confirm (MS-RDPBCGR 2.2.1.1, 2.2.1.2).

use super::Put;

/// SMB2 commands (MS-SMB2 2.2.1.2).
pub mod cmd {
    /// NEGOTIATE.
    pub const NEGOTIATE: u16 = 0x0000;
    /// SESSION_SETUP.
    pub const SESSION_SETUP: u16 = 0x0001;
    /// TREE_CONNECT.
    pub const TREE_CONNECT: u16 = 0x0003;
    /// CREATE.
    pub const CREATE: u16 = 0x0005;
    /// CLOSE.
    pub const CLOSE: u16 = 0x0006;
    /// WRITE.
    pub const WRITE: u16 = 0x0009;
}

/// STATUS_MORE_PROCESSING_REQUIRED.
pub const STATUS_MORE_PROCESSING: u32 = 0xc000_0016;

/// Header fields of one SMB2 message.
#[derive(Copy, Clone, Debug)]
pub struct Hdr {
    /// Command.
    pub cmd: u16,
    /// Message id.
    pub mid: u64,
    /// Response flag.
    pub response: bool,
    /// NT status (responses).
    pub status: u32,
    /// Tree id.
    pub tree: u32,
    /// Session id.
    pub session: u64,
}

fn utf16(b: &mut Vec<u8>, s: &str) {
    for u in s.encode_utf16() {
        b.le16(u);
    }
}

fn start(b: &mut Vec<u8>, h: &Hdr) -> usize {
    let at = b.len();
    b.bytes(&[0, 0, 0, 0]); // NetBIOS session message, length patched
    b.bytes(&[0xfe, b'S', b'M', b'B']);
    b.le16(64);
    b.le16(1); // credit charge
    b.le32(h.status);
    b.le16(h.cmd);
    b.le16(if h.response { 32 } else { 31 });
    b.le32(u32::from(h.response));
    b.le32(0);
    b.le64(h.mid);
    b.le32(0xfeff); // process id
    b.le32(h.tree);
    b.le64(h.session);
    b.bytes(&[0; 16]);
    at
}

fn finish(b: &mut [u8], at: usize) {
    let len = (b.len() - at - 4) as u32;
    b[at + 1] = (len >> 16) as u8;
    b[at + 2] = (len >> 8) as u8;
    b[at + 3] = len as u8;
}

/// NEGOTIATE request offering SMB 2.0.2 and 2.1.
pub fn negotiate_req(b: &mut Vec<u8>, h: &Hdr, guid: [u8; 16]) {
    let at = start(b, h);
    b.le16(36);
    b.le16(2);
    b.le16(1); // signing enabled
    b.le16(0);
    b.le32(0x7f);
    b.bytes(&guid);
    b.le64(0);
    b.le16(0x0202);
    b.le16(0x0210);
    finish(b, at);
}

/// NEGOTIATE response selecting SMB 2.1.
pub fn negotiate_resp(b: &mut Vec<u8>, h: &Hdr, guid: [u8; 16], now: u64) {
    let at = start(b, h);
    b.le16(65);
    b.le16(1);
    b.le16(0x0210);
    b.le16(0);
    b.bytes(&guid);
    b.le32(0x07);
    b.le32(8_388_608);
    b.le32(8_388_608);
    b.le32(8_388_608);
    b.le64(now);
    b.le64(0);
    b.le16(128);
    b.le16(0); // no security blob
    b.le32(0);
    b.u8(0);
    finish(b, at);
}

fn secbuf(b: &mut Vec<u8>, len: usize, off: usize) {
    b.le16(len as u16);
    b.le16(len as u16);
    b.le32(off as u32);
}

/// NTLMSSP flags used by the simulated client: UNICODE, REQUEST_TARGET, NTLM,
/// ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, TARGET_INFO, 128, 56.
const NTLM_FLAGS: u32 = 0xa088_8205;

/// NTLMSSP NEGOTIATE (type 1).
pub fn ntlm_negotiate(b: &mut Vec<u8>) {
    b.bytes(b"NTLMSSP\0");
    b.le32(1);
    b.le32(NTLM_FLAGS);
    secbuf(b, 0, 32);
    secbuf(b, 0, 32);
}

/// NTLMSSP CHALLENGE (type 2) from server `host` in `domain`.
pub fn ntlm_challenge(b: &mut Vec<u8>, domain: &str, host: &str, challenge: [u8; 8]) {
    let base = b.len();
    let tn_len = domain.len() * 2;
    let ti_len = 4 + domain.len() * 2 + 4 + host.len() * 2 + 4;
    b.bytes(b"NTLMSSP\0");
    b.le32(2);
    secbuf(b, tn_len, 48);
    b.le32(NTLM_FLAGS | 0x0001_0000); // + TARGET_TYPE_DOMAIN
    b.bytes(&challenge);
    b.bytes(&[0; 8]);
    secbuf(b, ti_len, 48 + tn_len);
    utf16(b, domain);
    for (id, s) in [(2u16, domain), (1, host)] {
        b.le16(id);
        b.le16((s.len() * 2) as u16);
        utf16(b, s);
    }
    b.le32(0); // MsvAvEOL
    debug_assert_eq!(b.len() - base, 48 + tn_len + ti_len);
}

/// NTLMSSP AUTHENTICATE (type 3) for `domain\user` from `workstation`.
pub fn ntlm_authenticate(
    b: &mut Vec<u8>,
    domain: &str,
    user: &str,
    workstation: &str,
    nt: [u8; 24],
) {
    let mut off = 64;
    b.bytes(b"NTLMSSP\0");
    b.le32(3);
    secbuf(b, 24, off); // LM response
    off += 24;
    secbuf(b, 24, off); // NT response
    off += 24;
    let (d, u, w) = (domain.len() * 2, user.len() * 2, workstation.len() * 2);
    secbuf(b, d, off);
    off += d;
    secbuf(b, u, off);
    off += u;
    secbuf(b, w, off);
    off += w;
    secbuf(b, 16, off); // session key
    b.le32(NTLM_FLAGS);
    b.bytes(&[0; 24]);
    b.bytes(&nt);
    utf16(b, domain);
    utf16(b, user);
    utf16(b, workstation);
    b.bytes(&nt[..16]);
}

/// SESSION_SETUP request carrying a security blob.
pub fn session_setup_req(b: &mut Vec<u8>, h: &Hdr, blob: &[u8]) {
    let at = start(b, h);
    b.le16(25);
    b.u8(0);
    b.u8(1);
    b.le32(1);
    b.le32(0);
    b.le16(64 + 24);
    b.le16(blob.len() as u16);
    b.le64(0);
    b.bytes(blob);
    finish(b, at);
}

/// SESSION_SETUP response carrying a security blob (may be empty).
pub fn session_setup_resp(b: &mut Vec<u8>, h: &Hdr, blob: &[u8]) {
    let at = start(b, h);
    b.le16(9);
    b.le16(0);
    b.le16(if blob.is_empty() { 0 } else { 64 + 8 });
    b.le16(blob.len() as u16);
    b.bytes(blob);
    if blob.is_empty() {
        b.u8(0);
    }
    finish(b, at);
}

/// TREE_CONNECT request for `path` (e.g. `\\HMI01\C$`).
pub fn tree_connect_req(b: &mut Vec<u8>, h: &Hdr, path: &str) {
    let at = start(b, h);
    b.le16(9);
    b.le16(0);
    b.le16(64 + 8);
    b.le16((path.encode_utf16().count() * 2) as u16);
    utf16(b, path);
    finish(b, at);
}

/// TREE_CONNECT response (disk share).
pub fn tree_connect_resp(b: &mut Vec<u8>, h: &Hdr) {
    let at = start(b, h);
    b.le16(16);
    b.u8(1);
    b.u8(0);
    b.le32(0);
    b.le32(0);
    b.le32(0x001f_01ff);
    finish(b, at);
}

/// CREATE request (overwrite-if) of `name`.
pub fn create_req(b: &mut Vec<u8>, h: &Hdr, name: &str) {
    let at = start(b, h);
    b.le16(57);
    b.u8(0);
    b.u8(0);
    b.le32(2); // impersonation
    b.le64(0);
    b.le64(0);
    b.le32(0x0012_019f); // generic write-ish access mask
    b.le32(0x80); // normal
    b.le32(0x7); // share read/write/delete
    b.le32(5); // FILE_OVERWRITE_IF
    b.le32(0x40); // non-directory
    b.le16(64 + 56);
    b.le16((name.encode_utf16().count() * 2) as u16);
    b.le32(0);
    b.le32(0);
    utf16(b, name);
    finish(b, at);
}

/// CREATE response with `fid`.
pub fn create_resp(b: &mut Vec<u8>, h: &Hdr, fid: [u8; 16], now: u64) {
    let at = start(b, h);
    b.le16(89);
    b.u8(0);
    b.u8(0);
    b.le32(2); // created
    for _ in 0..4 {
        b.le64(now);
    }
    b.le64(0);
    b.le64(0);
    b.le32(0x80);
    b.le32(0);
    b.bytes(&fid);
    b.le32(0);
    b.le32(0);
    finish(b, at);
}

/// WRITE request of `data` at offset 0.
pub fn write_req(b: &mut Vec<u8>, h: &Hdr, fid: [u8; 16], data: &[u8]) {
    let at = start(b, h);
    b.le16(49);
    b.le16(64 + 48);
    b.le32(data.len() as u32);
    b.le64(0);
    b.bytes(&fid);
    b.le32(0);
    b.le32(0);
    b.le16(0);
    b.le16(0);
    b.le32(0);
    b.bytes(data);
    finish(b, at);
}

/// WRITE response.
pub fn write_resp(b: &mut Vec<u8>, h: &Hdr, count: u32) {
    let at = start(b, h);
    b.le16(17);
    b.le16(0);
    b.le32(count);
    b.le32(0);
    b.le16(0);
    b.le16(0);
    finish(b, at);
}

/// CLOSE request.
pub fn close_req(b: &mut Vec<u8>, h: &Hdr, fid: [u8; 16]) {
    let at = start(b, h);
    b.le16(24);
    b.le16(0);
    b.le32(0);
    b.bytes(&fid);
    finish(b, at);
}

/// CLOSE response.
pub fn close_resp(b: &mut Vec<u8>, h: &Hdr) {
    let at = start(b, h);
    b.le16(60);
    b.le16(0);
    b.le32(0);
    b.bytes(&[0; 56]);
    finish(b, at);
}

/// RDP X.224 Connection Request with a routing cookie and RDP_NEG_REQ
/// (TLS | CredSSP).
pub fn rdp_cr(b: &mut Vec<u8>, user: &str) {
    let cookie = format!("Cookie: mstshash={user}\r\n");
    let li = 6 + cookie.len() + 8;
    b.bytes(&[3, 0]);
    b.be16((4 + 1 + li) as u16);
    b.u8(li as u8);
    b.bytes(&[0xe0, 0, 0, 0, 0, 0]);
    b.bytes(cookie.as_bytes());
    b.bytes(&[0x01, 0x00, 0x08, 0x00]);
    b.le32(3);
}

/// RDP X.224 Connection Confirm with RDP_NEG_RSP selecting CredSSP.
pub fn rdp_cc(b: &mut Vec<u8>) {
    b.bytes(&[3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0]);
    b.bytes(&[0x02, 0x1f, 0x08, 0x00]);
    b.le32(2);
}
