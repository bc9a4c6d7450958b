//! S7comm over ISO-on-TCP: TPKT (RFC 1006), COTP (ISO 8073 / RFC 905 class 0) and
//! the S7comm PDU layout as dissected by Wireshark's `s7comm` (header 0x32, ROSCTR
//! job 1 / ack_data 3 / userdata 7).

use super::Put;

/// ROSCTR job.
const JOB: u8 = 1;
/// ROSCTR ack_data.
const ACK_DATA: u8 = 3;
/// ROSCTR userdata.
const USERDATA: u8 = 7;

fn tpkt_start(b: &mut Vec<u8>) -> usize {
    let at = b.len();
    b.bytes(&[3, 0, 0, 0]);
    at
}

fn tpkt_fix(b: &mut Vec<u8>, at: usize) {
    let len = (b.len() - at) as u16;
    b.set_be16(at + 2, len);
}

fn cotp_cr_cc(b: &mut Vec<u8>, code: u8, dst_ref: u16, src_ref: u16, dst_tsap: u16) {
    let at = tpkt_start(b);
    b.u8(17); // length indicator: 6 fixed + 3 + 4 + 4
    b.u8(code);
    b.be16(dst_ref);
    b.be16(src_ref);
    b.u8(0); // class 0
    b.bytes(&[0xc0, 1, 0x0a]); // TPDU size 1024
    b.bytes(&[0xc1, 2, 0x01, 0x00]); // calling TSAP (PG)
    b.bytes(&[0xc2, 2]);
    b.be16(dst_tsap); // called TSAP: rack 0 slot 2 = 0x0102
    tpkt_fix(b, at);
}

/// COTP Connection Request.
pub fn cotp_cr(b: &mut Vec<u8>) {
    cotp_cr_cc(b, 0xe0, 0, 0x0001, 0x0102);
}

/// COTP Connection Confirm.
pub fn cotp_cc(b: &mut Vec<u8>) {
    cotp_cr_cc(b, 0xd0, 0x0001, 0x4431, 0x0102);
}

/// Writes TPKT + COTP DT + S7 header; returns (tpkt start, header start).
fn s7_start(b: &mut Vec<u8>, rosctr: u8, pdu_ref: u16) -> (usize, usize) {
    let at = tpkt_start(b);
    b.bytes(&[2, 0xf0, 0x80]); // COTP DT, EOT
    let h = b.len();
    b.u8(0x32);
    b.u8(rosctr);
    b.be16(0);
    b.be16(pdu_ref);
    b.be16(0); // parameter length, patched
    b.be16(0); // data length, patched
    if rosctr == ACK_DATA {
        b.bytes(&[0, 0]); // error class, code
    }
    (at, h)
}

fn s7_finish(b: &mut Vec<u8>, at: usize, h: usize, plen: usize) {
    let hl = if b[h + 1] == ACK_DATA { 12 } else { 10 };
    let dlen = b.len() - h - hl - plen;
    b.set_be16(h + 6, plen as u16);
    b.set_be16(h + 8, dlen as u16);
    tpkt_fix(b, at);
}

fn setup(b: &mut Vec<u8>, rosctr: u8, pdu_ref: u16, pdu_len: u16) {
    let (at, h) = s7_start(b, rosctr, pdu_ref);
    b.bytes(&[0xf0, 0x00, 0x00, 0x01, 0x00, 0x01]);
    b.be16(pdu_len);
    s7_finish(b, at, h, 8);
}

/// Setup communication job.
pub fn setup_req(b: &mut Vec<u8>, pdu_ref: u16) {
    setup(b, JOB, pdu_ref, 960);
}

/// Setup communication ack_data.
pub fn setup_resp(b: &mut Vec<u8>, pdu_ref: u16) {
    setup(b, ACK_DATA, pdu_ref, 480);
}

/// An S7ANY item: `len` bytes at byte `offset` of data block `db`.
fn any_item(b: &mut Vec<u8>, db: u16, offset: u32, len: u16) {
    b.bytes(&[0x12, 0x0a, 0x10, 0x02]); // var spec, length 10, S7ANY, transport BYTE
    b.be16(len);
    b.be16(db);
    b.u8(0x84); // area DB
    let bit = offset * 8;
    b.bytes(&[(bit >> 16) as u8, (bit >> 8) as u8, bit as u8]);
}

/// Read Var job (function 0x04) for one DB range.
pub fn read_var_req(b: &mut Vec<u8>, pdu_ref: u16, db: u16, offset: u32, len: u16) {
    let (at, h) = s7_start(b, JOB, pdu_ref);
    b.bytes(&[0x04, 1]);
    any_item(b, db, offset, len);
    s7_finish(b, at, h, 14);
}

/// Read Var ack_data carrying `data`.
pub fn read_var_resp(b: &mut Vec<u8>, pdu_ref: u16, data: &[u8]) {
    let (at, h) = s7_start(b, ACK_DATA, pdu_ref);
    b.bytes(&[0x04, 1]);
    b.bytes(&[0xff, 0x04]); // success, transport size BYTE/WORD/DWORD (length in bits)
    b.be16((data.len() * 8) as u16);
    b.bytes(data);
    s7_finish(b, at, h, 2);
}

/// Write Var job (function 0x05) writing `data` to one DB range.
pub fn write_var_req(b: &mut Vec<u8>, pdu_ref: u16, db: u16, offset: u32, data: &[u8]) {
    let (at, h) = s7_start(b, JOB, pdu_ref);
    b.bytes(&[0x05, 1]);
    any_item(b, db, offset, data.len() as u16);
    b.bytes(&[0x00, 0x04]);
    b.be16((data.len() * 8) as u16);
    b.bytes(data);
    s7_finish(b, at, h, 14);
}

/// Write Var ack_data.
pub fn write_var_resp(b: &mut Vec<u8>, pdu_ref: u16) {
    let (at, h) = s7_start(b, ACK_DATA, pdu_ref);
    b.bytes(&[0x05, 1]);
    b.u8(0xff);
    s7_finish(b, at, h, 2);
}

/// PLC Stop job (function 0x29, PI service "P_PROGRAM").
pub fn plc_stop_req(b: &mut Vec<u8>, pdu_ref: u16) {
    let (at, h) = s7_start(b, JOB, pdu_ref);
    b.bytes(&[0x29, 0, 0, 0, 0, 0, 9]);
    b.bytes(b"P_PROGRAM");
    s7_finish(b, at, h, 16);
}

/// Ack_data with only the function code (PLC stop, request download, download ended).
pub fn func_ack(b: &mut Vec<u8>, pdu_ref: u16, func: u8) {
    let (at, h) = s7_start(b, ACK_DATA, pdu_ref);
    b.u8(func);
    s7_finish(b, at, h, 1);
}

/// Function code of PLC stop.
pub const F_PLC_STOP: u8 = 0x29;
/// Function code of request download.
pub const F_REQUEST_DOWNLOAD: u8 = 0x1a;
/// Function code of download block.
pub const F_DOWNLOAD_BLOCK: u8 = 0x1b;
/// Function code of download ended.
pub const F_DOWNLOAD_ENDED: u8 = 0x1c;

fn filename(b: &mut Vec<u8>, block: u16) {
    b.u8(9);
    b.bytes(format!("_08{block:05}P").as_bytes()); // '_' + OB (08) + number + passive FS
}

/// Request download job for OB `block` with the load/MC7 lengths.
pub fn request_download_req(b: &mut Vec<u8>, pdu_ref: u16, block: u16, load_len: u32, mc7: u32) {
    let (at, h) = s7_start(b, JOB, pdu_ref);
    b.bytes(&[F_REQUEST_DOWNLOAD, 0, 0, 1, 0, 0, 0, 0]);
    filename(b, block);
    b.u8(13);
    b.bytes(format!("1{load_len:06}{mc7:06}").as_bytes());
    s7_finish(b, at, h, 32);
}

/// Download block job (sent by the PLC to pull the next part).
pub fn download_block_req(b: &mut Vec<u8>, pdu_ref: u16, block: u16) {
    let (at, h) = s7_start(b, JOB, pdu_ref);
    b.bytes(&[F_DOWNLOAD_BLOCK, 0, 0, 1, 0, 0, 0, 0]);
    filename(b, block);
    s7_finish(b, at, h, 18);
}

/// Download block ack_data carrying part of the block; `more` sets the status bit.
pub fn download_block_resp(b: &mut Vec<u8>, pdu_ref: u16, part: &[u8], more: bool) {
    let (at, h) = s7_start(b, ACK_DATA, pdu_ref);
    b.bytes(&[F_DOWNLOAD_BLOCK, u8::from(more)]);
    b.be16(part.len() as u16);
    b.be16(0x00fb);
    b.bytes(part);
    s7_finish(b, at, h, 2);
}

/// Download ended job (sent by the PLC).
pub fn download_ended_req(b: &mut Vec<u8>, pdu_ref: u16, block: u16) {
    let (at, h) = s7_start(b, JOB, pdu_ref);
    b.bytes(&[F_DOWNLOAD_ENDED, 0, 0, 0, 0, 0, 0, 0]);
    filename(b, block);
    s7_finish(b, at, h, 18);
}

/// Userdata request: read SZL `id`/`index` (CPU functions, subfunction 1).
pub fn szl_req(b: &mut Vec<u8>, pdu_ref: u16, id: u16, index: u16) {
    let (at, h) = s7_start(b, USERDATA, pdu_ref);
    b.bytes(&[0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00]);
    b.bytes(&[0xff, 0x09, 0x00, 0x04]);
    b.be16(id);
    b.be16(index);
    s7_finish(b, at, h, 8);
}

/// Userdata response to SZL 0x0011 (module identification): order number records
/// for the module (index 1) and the firmware (index 7).
pub fn szl_0011_resp(b: &mut Vec<u8>, pdu_ref: u16, order: &str, fw: (u8, u8, u8)) {
    let (at, h) = s7_start(b, USERDATA, pdu_ref);
    b.bytes(&[
        0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    ]);
    let mut mlfb = [b' '; 20];
    for (d, s) in mlfb.iter_mut().zip(order.bytes()) {
        *d = s;
    }
    let records: [(u16, u16, u16); 3] = [
        (0x0001, 0x0000, 0x0001),
        (0x0006, 0x0000, 0x0001),
        (
            0x0007,
            0x5600 | u16::from(fw.0),
            (u16::from(fw.1) << 8) | u16::from(fw.2),
        ),
    ];
    b.bytes(&[0xff, 0x09]);
    b.be16((8 + records.len() * 28) as u16);
    b.be16(0x0011);
    b.be16(0x0000);
    b.be16(28);
    b.be16(records.len() as u16);
    for (idx, ausbg, ausbe) in records {
        b.be16(idx);
        if idx == 0x0007 {
            b.bytes(&[b' '; 20]);
        } else {
            b.bytes(&mlfb);
        }
        b.be16(0);
        b.be16(ausbg);
        b.be16(ausbe);
    }
    s7_finish(b, at, h, 12);
}
