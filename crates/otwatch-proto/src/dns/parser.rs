//! Pure DNS message parser: bounds-checked, follows compression pointers with a loop
//! cap, decodes NBNS first-level names. Never panics.

use super::types::{
    DnsHeader, DnsMessage, HEADER_LEN, MAX_ANSWERS, MAX_NAME_LEN, MAX_POINTERS, MAX_QUESTIONS,
    Question, RData, Record,
};
use otwatch_core::{Direction, Probe};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Outcome of parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A message and the bytes it used.
    Ok(T, usize),
    /// Need at least this many more bytes (TCP framing only).
    Incomplete(usize),
    /// Not a valid message; the static name is the weird to report.
    Invalid(&'static str),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parses the fixed header.
pub fn parse_header(b: &[u8]) -> Option<DnsHeader> {
    Some(DnsHeader {
        id: be16(b, 0)?,
        flags: be16(b, 2)?,
        qdcount: be16(b, 4)?,
        ancount: be16(b, 6)?,
        nscount: be16(b, 8)?,
        arcount: be16(b, 10)?,
    })
}

fn push_label(out: &mut String, label: &[u8]) {
    for &c in label {
        if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
            out.push(c as char);
        } else {
            out.push_str(&format!("\\{c:03}"));
        }
    }
}

/// Decodes an NBNS first-level encoded label (RFC 1001 14.1): 32 characters
/// 'A'..'P' → `NAME<xx>` (name trimmed of padding, xx the suffix byte in hex).
pub fn decode_netbios_label(label: &[u8]) -> Option<String> {
    if label.len() != 32 || !label.iter().all(|c| (b'A'..=b'P').contains(c)) {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, pair) in label.chunks_exact(2).enumerate() {
        raw[i] = ((pair[0] - b'A') << 4) | (pair[1] - b'A');
    }
    let mut name = String::new();
    let body = &raw[..15];
    let end = body.iter().rposition(|&c| c != b' ').map_or(0, |p| p + 1);
    push_label(&mut name, &body[..end]);
    name.push_str(&format!("<{:02x}>", raw[15]));
    Some(name)
}

/// Reads a (possibly compressed) name at `pos`. Returns the name and the offset just
/// after it in the original position. `None` on truncation, loops or bad labels.
pub fn read_name(msg: &[u8], mut pos: usize, nbns: bool) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut end = None;
    let mut jumps = 0;
    let mut wire_len = 0;
    let mut first = true;
    loop {
        let l = *msg.get(pos)? as usize;
        match l & 0xc0 {
            0x00 if l == 0 => {
                pos += 1;
                break;
            }
            0x00 => {
                let label = msg.get(pos + 1..pos + 1 + l)?;
                wire_len += l + 1;
                if wire_len > MAX_NAME_LEN {
                    return None;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                match (first && nbns)
                    .then(|| decode_netbios_label(label))
                    .flatten()
                {
                    Some(n) => out.push_str(&n),
                    None => push_label(&mut out, label),
                }
                first = false;
                pos += 1 + l;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1)? as usize;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                jumps += 1;
                if jumps > MAX_POINTERS {
                    return None;
                }
                pos = ((l & 0x3f) << 8) | lo;
            }
            _ => return None,
        }
    }
    Some((out, end.unwrap_or(pos)))
}

fn read_record(msg: &[u8], pos: usize, nbns: bool) -> Option<(Record, usize)> {
    let (name, p) = read_name(msg, pos, nbns)?;
    let rtype = be16(msg, p)?;
    let ttl = be32(msg, p + 4)?;
    let rdlen = be16(msg, p + 8)? as usize;
    let start = p + 10;
    let rdata = msg.get(start..start + rdlen)?;
    let mut nb_group = false;
    let data = match (rtype, rdlen) {
        (1, 4) => RData::Addr(IpAddr::V4(Ipv4Addr::new(
            rdata[0], rdata[1], rdata[2], rdata[3],
        ))),
        (28, 16) => {
            let a: [u8; 16] = rdata.try_into().ok()?;
            RData::Addr(IpAddr::V6(Ipv6Addr::from(a)))
        }
        (5 | 12 | 2, _) if !nbns => RData::Name(read_name(msg, start, false)?.0),
        // NBNS NB record: flags (G bit 15) + IPv4, repeated (RFC 1002 4.2.2).
        (0x20, n) if nbns && n >= 6 => {
            nb_group = rdata[0] & 0x80 != 0;
            RData::Addr(IpAddr::V4(Ipv4Addr::new(
                rdata[2], rdata[3], rdata[4], rdata[5],
            )))
        }
        _ => RData::Other,
    };
    Some((
        Record {
            name,
            rtype,
            ttl,
            data,
            nb_group,
        },
        start + rdlen,
    ))
}

/// True when the header's opcode and counts are plausible for the family.
pub fn header_plausible(h: &DnsHeader, nbns: bool) -> bool {
    let op_ok = if nbns {
        matches!(h.opcode(), 0 | 5..=9 | 15)
    } else {
        matches!(h.opcode(), 0 | 1 | 2 | 4 | 5)
    };
    let total = h.qdcount as u32 + h.ancount as u32 + h.nscount as u32 + h.arcount as u32;
    op_ok && h.qdcount <= MAX_QUESTIONS as u16 && (1..=4096).contains(&total)
}

/// Parses one whole message (a UDP payload, or a TCP message without its length prefix).
pub fn parse_message(b: &[u8], nbns: bool) -> Parsed<DnsMessage> {
    let Some(header) = parse_header(b) else {
        return Parsed::Invalid("dns_truncated");
    };
    let mut pos = HEADER_LEN;
    let mut questions = Vec::new();
    for _ in 0..header.qdcount {
        let Some((name, p)) = read_name(b, pos, nbns) else {
            return Parsed::Invalid("dns_bad_name");
        };
        let (Some(qtype), Some(qclass)) = (be16(b, p), be16(b, p + 2)) else {
            return Parsed::Invalid("dns_truncated");
        };
        if questions.len() < MAX_QUESTIONS {
            questions.push(Question {
                name,
                qtype,
                qclass,
            });
        }
        pos = p + 4;
    }
    let mut answers = Vec::new();
    let mut answers_truncated = false;
    let sections = [header.ancount, header.nscount, header.arcount];
    for (si, &count) in sections.iter().enumerate() {
        for _ in 0..count {
            let Some((rec, p)) = read_record(b, pos, nbns) else {
                return Parsed::Invalid("dns_bad_record");
            };
            pos = p;
            // Answers; for NBNS requests (registrations) the additional section holds the claim.
            let keep = si == 0 || (nbns && si == 2 && !header.is_response());
            if keep {
                if answers.len() < MAX_ANSWERS {
                    answers.push(rec);
                } else {
                    answers_truncated = true;
                }
            }
        }
    }
    Parsed::Ok(
        DnsMessage {
            header,
            questions,
            answers,
            answers_truncated,
        },
        pos,
    )
}

/// Parses one length-prefixed message from a TCP stream (RFC 1035 4.2.2).
pub fn parse_tcp_message(b: &[u8]) -> Parsed<DnsMessage> {
    let Some(len) = be16(b, 0) else {
        return Parsed::Incomplete(2 - b.len());
    };
    let len = len as usize;
    if len < HEADER_LEN {
        return Parsed::Invalid("dns_bad_length");
    }
    let Some(msg) = b.get(2..2 + len) else {
        return Parsed::Incomplete(2 + len - b.len());
    };
    match parse_message(msg, false) {
        Parsed::Ok(m, _) => Parsed::Ok(m, 2 + len),
        Parsed::Incomplete(_) => Parsed::Invalid("dns_truncated"),
        Parsed::Invalid(n) => Parsed::Invalid(n),
    }
}

fn probe_datagram(b: &[u8], nbns: bool) -> Probe {
    let Some(h) = parse_header(b) else {
        return Probe::NoMatch;
    };
    if !header_plausible(&h, nbns) {
        return Probe::NoMatch;
    }
    match parse_message(b, nbns) {
        // Trailing bytes are tolerated only when they are padding.
        Parsed::Ok(_, n) if b[n.min(b.len())..].iter().all(|&c| c == 0) => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Probe for DNS, mDNS and LLMNR datagrams: a plausible header and a message that
/// parses to its end.
pub fn probe_udp(_dir: Direction, b: &[u8]) -> Probe {
    probe_datagram(b, false)
}

/// Probe for NBNS datagrams: as [`probe_udp`], and the first question or record name
/// must be first-level encoded.
pub fn probe_nbns(_dir: Direction, b: &[u8]) -> Probe {
    // The first name starts right after the header: length 32, then 'A'..'P'.
    let encoded = b.get(HEADER_LEN) == Some(&32)
        && b.get(HEADER_LEN + 1..HEADER_LEN + 33)
            .is_some_and(|l| l.iter().all(|c| (b'A'..=b'P').contains(c)));
    if !encoded {
        return Probe::NoMatch;
    }
    probe_datagram(b, true)
}

/// Probe for DNS over TCP: a length prefix and a plausible header; the whole first
/// message must parse once it is complete.
pub fn probe_tcp(_dir: Direction, b: &[u8]) -> Probe {
    if b.len() < 2 + HEADER_LEN {
        return Probe::NeedMore;
    }
    let len = u16::from_be_bytes([b[0], b[1]]) as usize;
    let Some(h) = parse_header(&b[2..]) else {
        return Probe::NeedMore;
    };
    if len < HEADER_LEN || !header_plausible(&h, false) {
        return Probe::NoMatch;
    }
    match parse_tcp_message(b) {
        Parsed::Ok(..) => Probe::Match,
        Parsed::Incomplete(_) => Probe::NeedMore,
        Parsed::Invalid(_) => Probe::NoMatch,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Query for www.example.com A, RD set (hand-built after RFC 1035 4.1).
    pub(crate) const QUERY: &[u8] = &[
        0x12, 0x34, // id
        0x01, 0x00, // flags: RD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // qd=1
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
        0, // name
        0x00, 0x01, 0x00, 0x01, // type A, class IN
    ];

    /// Its response: a CNAME (compressed) and an A record.
    pub(crate) const RESPONSE: &[u8] = &[
        0x12, 0x34, // id
        0x81, 0x80, // QR RD RA, rcode 0
        0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, // qd=1 an=2
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0,
        0x00, 0x01, 0x00, 0x01, // question
        0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0x0e, 0x10, 0x00, 0x02, // CNAME ttl 3600
        0xc0, 0x10, // -> example.com
        0xc0, 0x10, 0x00, 0x01, 0x00, 0x01, 0, 0, 0x0e, 0x10, 0x00, 0x04, // A
        93, 184, 216, 34, // 93.184.216.34
    ];

    #[test]
    fn parses_query_and_response() {
        let Parsed::Ok(q, n) = parse_message(QUERY, false) else {
            panic!()
        };
        assert_eq!(n, QUERY.len());
        assert_eq!(q.questions[0].name, "www.example.com");
        let Parsed::Ok(r, _) = parse_message(RESPONSE, false) else {
            panic!()
        };
        assert_eq!(r.answers.len(), 2);
        assert_eq!(r.answers[0].data, RData::Name("example.com".into()));
        assert_eq!(
            r.answers[1].data,
            RData::Addr(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34)))
        );
        assert_eq!(probe_udp(Direction::ToServer, QUERY), Probe::Match);
    }

    #[test]
    fn pointer_loop_and_truncation_are_invalid() {
        let mut m = QUERY[..12].to_vec();
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]); // name points at itself
        assert_eq!(parse_message(&m, false), Parsed::Invalid("dns_bad_name"));
        assert!(matches!(
            parse_message(&RESPONSE[..RESPONSE.len() - 2], false),
            Parsed::Invalid(_)
        ));
        assert_eq!(probe_udp(Direction::ToServer, &[0u8; 40]), Probe::NoMatch);
    }

    #[test]
    fn netbios_name_decodes() {
        // "FHEPFCELEHFCEPFFFACACACACACACAAA" = "WORKGROUP" + padding, suffix 0x00.
        assert_eq!(
            decode_netbios_label(b"FHEPFCELEHFCEPFFFACACACACACACAAA").as_deref(),
            Some("WORKGROUP<00>")
        );
        assert_eq!(decode_netbios_label(b"short"), None);
    }

    #[test]
    fn random_bytes_rarely_match() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut hits = 0;
        for _ in 0..20_000 {
            let mut v = vec![0u8; 64];
            for b in &mut v {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *b = s as u8;
            }
            if probe_udp(Direction::ToServer, &v) == Probe::Match
                || probe_tcp(Direction::ToServer, &v) == Probe::Match
            {
                hits += 1;
            }
        }
        assert_eq!(hits, 0);
    }
}
