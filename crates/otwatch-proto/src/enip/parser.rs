//! Pure encapsulation parsers: `&[u8]` in, a PDU or a reason out. Never panics,
//! never allocates. CIP message parsing lives in [`super::cip`].

use super::types::{
    Command, CpfItem, ENCAP_HEADER_LEN, EncapHeader, EncapPdu, IdentityItem, MAX_CPF_ITEMS,
    MAX_ENCAP_DATA, item,
};
use otwatch_core::{Direction, Probe};

/// Outcome of parsing one message from the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A PDU and the bytes it used.
    Ok(T, usize),
    /// Need at least this many more bytes.
    Incomplete(usize),
    /// Not a valid message; the static name is the weird to report.
    Invalid(&'static str),
}

/// A bounds-checked little-endian reader over untrusted bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rd<'a> {
    b: &'a [u8],
    off: usize,
}

impl<'a> Rd<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Rd { b, off: 0 }
    }
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.b.get(self.off..).unwrap_or(&[])
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.off..self.off.checked_add(n)?)?;
        self.off += n;
        Some(s)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_le_bytes([s[0], s[1]]))
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// Parses the 24-byte header at the front of `b` (no validation).
pub fn parse_header(b: &[u8]) -> Option<EncapHeader> {
    let mut r = Rd::new(b);
    let command = Command(r.u16()?);
    let length = r.u16()?;
    let session = r.u32()?;
    let status = r.u32()?;
    let mut context = [0u8; 8];
    context.copy_from_slice(r.take(8)?);
    let options = r.u32()?;
    Some(EncapHeader {
        command,
        length,
        session,
        status,
        context,
        options,
    })
}

/// Header plausibility: known command, options 0, a length the command allows.
fn header_valid(h: &EncapHeader) -> Result<(), &'static str> {
    if !h.command.is_known() {
        return Err("enip_unknown_command");
    }
    if h.options != 0 {
        return Err("enip_bad_options");
    }
    let len = h.length as usize;
    let ok = match h.command {
        // RegisterSession carries protocol version + options flags (4 bytes).
        Command::REGISTER_SESSION => len == 4,
        Command::UNREGISTER_SESSION => len == 0,
        // Requests are empty; replies carry at least an item count.
        Command::LIST_IDENTITY | Command::LIST_SERVICES | Command::LIST_INTERFACES => {
            len == 0 || len >= 2
        }
        // Interface handle (4) + timeout (2) + item count (2).
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA => len >= 8 || (len == 0 && h.status != 0),
        _ => len <= MAX_ENCAP_DATA,
    };
    // Status codes are defined up to 0x69 (Vol. 2 table 2-3.3).
    if !ok {
        return Err("enip_length_mismatch");
    }
    if h.status > 0x69 {
        return Err("enip_bad_status");
    }
    Ok(())
}

/// Parses one encapsulation message from the front of `b`.
pub fn parse_encap(b: &[u8]) -> Parsed<EncapPdu<'_>> {
    let Some(header) = parse_header(b) else {
        return Parsed::Incomplete(ENCAP_HEADER_LEN - b.len());
    };
    if let Err(w) = header_valid(&header) {
        return Parsed::Invalid(w);
    }
    let total = ENCAP_HEADER_LEN + header.length as usize;
    match b.get(ENCAP_HEADER_LEN..total) {
        Some(data) => Parsed::Ok(EncapPdu { header, data }, total),
        None => Parsed::Incomplete(total - b.len()),
    }
}

/// Iterates the CPF items of `b` (item count u16, then type/length/data triples).
/// Stops at the first truncated item; `truncated()` tells whether that happened.
#[derive(Clone, Debug)]
pub struct CpfIter<'a> {
    r: Rd<'a>,
    left: usize,
    truncated: bool,
}

impl<'a> CpfIter<'a> {
    /// True when an item ran past the end of the data, or the count was over the cap.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl<'a> Iterator for CpfIter<'a> {
    type Item = CpfItem<'a>;
    fn next(&mut self) -> Option<CpfItem<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let it = (|| {
            let type_id = self.r.u16()?;
            let len = self.r.u16()? as usize;
            let data = self.r.take(len)?;
            Some(CpfItem { type_id, data })
        })();
        if it.is_none() {
            self.truncated = true;
            self.left = 0;
        }
        it
    }
}

/// Parses the CPF list of `b`, which starts at the item count.
pub fn parse_cpf(b: &[u8]) -> CpfIter<'_> {
    let mut r = Rd::new(b);
    let count = r.u16().unwrap_or(0) as usize;
    CpfIter {
        r,
        left: count.min(MAX_CPF_ITEMS),
        truncated: b.len() < 2 || count > MAX_CPF_ITEMS,
    }
}

/// The CPF list of a SendRRData / SendUnitData body (after interface handle and timeout).
pub fn parse_rr_body(data: &[u8]) -> Option<CpfIter<'_>> {
    data.get(6..).map(parse_cpf)
}

/// Parses a ListIdentity identity item's data. Vol. 2 table 2-4.4.
pub fn parse_identity_item(b: &[u8]) -> Option<IdentityItem<'_>> {
    let mut r = Rd::new(b);
    let protocol_version = r.u16()?;
    let sa = r.take(16)?; // sockaddr: family, port, address big-endian; 8 zero bytes
    let port = u16::from_be_bytes([sa[2], sa[3]]);
    let ip = [sa[4], sa[5], sa[6], sa[7]];
    let vendor_id = r.u16()?;
    let device_type = r.u16()?;
    let product_code = r.u16()?;
    let revision_major = r.u8()?;
    let revision_minor = r.u8()?;
    let status = r.u16()?;
    let serial = r.u32()?;
    let name_len = r.u8()? as usize;
    let product_name = r.take(name_len)?;
    let state = r.u8();
    Some(IdentityItem {
        protocol_version,
        ip,
        port,
        vendor_id,
        device_type,
        product_code,
        revision_major,
        revision_minor,
        status,
        serial,
        product_name,
        state,
    })
}

/// Strict TCP/UDP 44818 probe: a known command, options 0, a length the command
/// allows, a defined status, and (for data commands) a CPF list that fits.
pub fn probe(_dir: Direction, b: &[u8]) -> Probe {
    let Some(h) = parse_header(b) else {
        // Judge what there is: the command must be known and options zero.
        if b.len() >= 2 && !Command(u16::from_le_bytes([b[0], b[1]])).is_known() {
            return Probe::NoMatch;
        }
        return Probe::NeedMore;
    };
    if header_valid(&h).is_err() {
        return Probe::NoMatch;
    }
    // A NOP with random length is too weak a signal on its own.
    if h.command == Command::NOP && h.length == 0 && h.session == 0 && h.context == [0; 8] {
        return Probe::NoMatch;
    }
    let total = ENCAP_HEADER_LEN + h.length as usize;
    let Some(data) = b.get(ENCAP_HEADER_LEN..total) else {
        return if b.len() < total && total <= 4096 {
            Probe::NeedMore
        } else {
            Probe::NoMatch
        };
    };
    match h.command {
        Command::SEND_RR_DATA | Command::SEND_UNIT_DATA if !data.is_empty() => {
            let Some(mut it) = parse_rr_body(data) else {
                return Probe::NoMatch;
            };
            let items: usize = it.by_ref().count();
            if it.truncated() || items == 0 {
                return Probe::NoMatch;
            }
        }
        Command::LIST_IDENTITY | Command::LIST_SERVICES | Command::LIST_INTERFACES
            if !data.is_empty() =>
        {
            let mut it = parse_cpf(data);
            let _ = it.by_ref().count();
            if it.truncated() {
                return Probe::NoMatch;
            }
        }
        // RegisterSession carries protocol version 1 (Vol. 2 2-4.4).
        Command::REGISTER_SESSION if data.first() != Some(&1) || data.get(1) != Some(&0) => {
            return Probe::NoMatch;
        }
        _ => {}
    }
    Probe::Match
}

/// Probe for UDP/2222 implicit I/O: a CPF list of a sequenced address item (8
/// bytes) then a connected data item, exactly filling the datagram.
pub fn probe_io(_dir: Direction, b: &[u8]) -> Probe {
    match parse_io(b) {
        Some(_) => Probe::Match,
        None => Probe::NoMatch,
    }
}

/// Parses an implicit I/O datagram: (connection id, sequence number, data length).
pub fn parse_io(b: &[u8]) -> Option<(u32, u32, usize)> {
    let mut it = parse_cpf(b);
    let a = it.next()?;
    let d = it.next()?;
    let mut consumed = 2 + 4 + a.data.len() + 4 + d.data.len();
    for extra in it.by_ref() {
        consumed += 4 + extra.data.len();
    }
    if it.truncated()
        || consumed != b.len()
        || a.type_id != item::SEQUENCED_ADDRESS
        || a.data.len() != 8
        || d.type_id != item::CONNECTED_DATA
    {
        return None;
    }
    let mut r = Rd::new(a.data);
    Some((r.u32()?, r.u32()?, d.data.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ListIdentity reply from a 1756-ENBT/A, iti-ics-security-tools
    /// EthernetIP/enip_test.pcap frame 7.
    pub(crate) const LIST_IDENTITY_REPLY: &[u8] = &[
        0x63, 0x00, // command ListIdentity
        0x33, 0x00, // length 51
        0x00, 0x00, 0x00, 0x00, // session
        0x00, 0x00, 0x00, 0x00, // status
        0xc1, 0xde, 0xbe, 0xd1, 0x00, 0x00, 0x00, 0x00, // sender context
        0x00, 0x00, 0x00, 0x00, // options
        0x01, 0x00, // item count
        0x0c, 0x00, 0x2d, 0x00, // item type 0x0c, length 45
        0x01, 0x00, // protocol version
        0x00, 0x02, 0xaf, 0x12, 0x0a, 0x01, 0x01, 0xa4, // sockaddr family, port 44818, ip
        0, 0, 0, 0, 0, 0, 0, 0, // sin_zero
        0x01, 0x00, // vendor 1
        0x0c, 0x00, // device type 12
        0x3a, 0x00, // product code 58
        0x04, 0x03, // revision 4.3
        0x30, 0x00, // status
        0x8e, 0x4d, 0x52, 0x00, // serial 0x00524d8e
        0x0b, b'1', b'7', b'5', b'6', b'-', b'E', b'N', b'B', b'T', b'/', b'A', // name
        0x03, // state
    ];

    #[test]
    fn parses_list_identity_reply() {
        let Parsed::Ok(p, n) = parse_encap(LIST_IDENTITY_REPLY) else {
            panic!("not parsed")
        };
        assert_eq!(n, LIST_IDENTITY_REPLY.len());
        assert_eq!(p.header.command, Command::LIST_IDENTITY);
        let it = parse_cpf(p.data).next().expect("item");
        assert_eq!(it.type_id, item::LIST_IDENTITY);
        let id = parse_identity_item(it.data).expect("identity");
        assert_eq!(id.vendor_id, 1);
        assert_eq!(id.device_type, 12);
        assert_eq!(id.product_code, 58);
        assert_eq!((id.revision_major, id.revision_minor), (4, 3));
        assert_eq!(id.serial, 0x0052_4d8e);
        assert_eq!(id.product_name, b"1756-ENBT/A");
        assert_eq!(id.ip, [10, 1, 1, 164]);
        assert_eq!(id.port, 44818);
        assert_eq!(
            probe(Direction::ToClient, LIST_IDENTITY_REPLY),
            Probe::Match
        );
    }

    #[test]
    fn rejects_junk() {
        assert_eq!(
            probe(Direction::ToServer, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Probe::NoMatch
        );
        let mut bad = LIST_IDENTITY_REPLY.to_vec();
        bad[20] = 1; // options
        assert_eq!(parse_encap(&bad), Parsed::Invalid("enip_bad_options"));
        assert_eq!(probe(Direction::ToServer, &[0u8; 24]), Probe::NoMatch);
    }

    #[test]
    fn parses_implicit_io() {
        let b = [
            0x02, 0x00, // item count
            0x02, 0x80, 0x08, 0x00, // sequenced address, length 8
            0x10, 0x00, 0x00, 0x00, // connection id 16
            0x05, 0x00, 0x00, 0x00, // sequence 5
            0xb1, 0x00, 0x04, 0x00, // connected data, length 4
            0x05, 0x00, 0xaa, 0xbb, // cip seq + data
        ];
        assert_eq!(parse_io(&b), Some((16, 5, 4)));
        assert_eq!(
            probe_io(Direction::ToServer, &b[..b.len() - 1]),
            Probe::NoMatch
        );
    }
}
