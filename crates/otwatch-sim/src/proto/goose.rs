//! IEC 61850-8-1 GOOSE (clause 15 and Annex A): APPID, length, reserved words and
//! the BER-encoded goosePdu ([APPLICATION 1] IMPLICIT SEQUENCE).

use super::Put;

fn tlv_len(b: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        b.u8(len as u8);
    } else if len < 0x100 {
        b.bytes(&[0x81, len as u8]);
    } else {
        b.u8(0x82);
        b.be16(len as u16);
    }
}

fn tlv(b: &mut Vec<u8>, tag: u8, v: &[u8]) {
    b.u8(tag);
    tlv_len(b, v.len());
    b.bytes(v);
}

fn int(b: &mut Vec<u8>, tag: u8, v: u32) {
    let bytes = v.to_be_bytes();
    let mut i = 0;
    while i < 3 && bytes[i] == 0 && bytes[i + 1] & 0x80 == 0 {
        i += 1;
    }
    if bytes[i] & 0x80 != 0 {
        b.u8(tag);
        b.u8((5 - i) as u8);
        b.u8(0);
        b.bytes(&bytes[i..]);
    } else {
        tlv(b, tag, &bytes[i..]);
    }
}

/// One GOOSE publication.
#[derive(Clone, Debug)]
pub struct Goose<'a> {
    /// APPID.
    pub appid: u16,
    /// GoCB reference, e.g. `REL1LD0/LLN0$GO$gcb01`.
    pub gocb_ref: &'a str,
    /// Data set reference.
    pub dat_set: &'a str,
    /// GOOSE id.
    pub go_id: &'a str,
    /// Time allowed to live (ms).
    pub ttl_ms: u32,
    /// Event time (Unix ns) of the last state change.
    pub t_ns: i64,
    /// State number.
    pub st_num: u32,
    /// Sequence number.
    pub sq_num: u32,
    /// Configuration revision.
    pub conf_rev: u32,
    /// Boolean data set members.
    pub data: &'a [bool],
}

/// Writes the GOOSE APDU (after the EtherType) into `b`.
pub fn encode(b: &mut Vec<u8>, g: &Goose<'_>, scratch: &mut Vec<u8>) {
    scratch.clear();
    let p = scratch;
    tlv(p, 0x80, g.gocb_ref.as_bytes());
    int(p, 0x81, g.ttl_ms);
    tlv(p, 0x82, g.dat_set.as_bytes());
    tlv(p, 0x83, g.go_id.as_bytes());
    let secs = (g.t_ns / 1_000_000_000) as u32;
    let frac = (((g.t_ns % 1_000_000_000) as u64) << 24) / 1_000_000_000;
    let mut t = [0u8; 8];
    t[..4].copy_from_slice(&secs.to_be_bytes());
    t[4] = (frac >> 16) as u8;
    t[5] = (frac >> 8) as u8;
    t[6] = frac as u8;
    t[7] = 0x0a; // time quality: 10 bits of accuracy
    tlv(p, 0x84, &t);
    int(p, 0x85, g.st_num);
    int(p, 0x86, g.sq_num);
    tlv(p, 0x87, &[0]); // simulation/test
    int(p, 0x88, g.conf_rev);
    tlv(p, 0x89, &[0]); // ndsCom
    int(p, 0x8a, g.data.len() as u32);
    p.u8(0xab);
    tlv_len(p, g.data.len() * 3);
    for d in g.data {
        p.bytes(&[0x83, 1, u8::from(*d)]);
    }
    let pdu_len = p.len();
    let hdr_len = if pdu_len < 0x80 {
        2
    } else if pdu_len < 0x100 {
        3
    } else {
        4
    };
    b.be16(g.appid);
    b.be16((8 + hdr_len + pdu_len) as u16);
    b.be16(0);
    b.be16(0);
    b.u8(0x61);
    tlv_len(b, pdu_len);
    b.bytes(p);
}
