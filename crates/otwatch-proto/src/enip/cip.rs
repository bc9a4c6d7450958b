//! Pure CIP message parsers (ODVA CIP Vol. 1): message router request/response
//! (Vol. 1 2-4), padded EPATH (Vol. 1 C-1), Unconnected Send and Forward Open
//! (Vol. 1 3-5.5), Multiple Service Packet (Vol. 1 ). Never panics.

use super::parser::Rd;
use super::types::{CipMessage, CipRequest, CipResponse, EPath, MAX_SYMBOLS, Service};

/// Largest number of services in one Multiple Service Packet that otwatch walks
/// (a 504-byte connected message holds at most ~120 minimal services).
pub const MAX_MULTIPLE: usize = 128;

/// Decodes a padded EPATH of `b` (the whole of `b` is the path).
pub fn parse_epath(b: &[u8]) -> EPath<'_> {
    let mut p = EPath::default();
    let mut r = Rd::new(b);
    while let Some(seg) = r.u8() {
        let ok = match seg >> 5 {
            // Port segment: bit 4 = extended link address size, low nibble = port.
            0 => (|| {
                let mut port = (seg & 0x0f) as u16;
                let ext_link = seg & 0x10 != 0;
                let link_len = if ext_link { r.u8()? as usize } else { 1 };
                if port == 0x0f {
                    port = r.u16()?;
                }
                let link = r.take(link_len)?;
                if ext_link && link_len % 2 == 1 {
                    r.take(1)?; // pad to even
                }
                if p.port.is_none() {
                    p.port = Some((port, link.first().copied().unwrap_or(0)));
                }
                Some(())
            })(),
            // Logical segment: bits 4-2 logical type, bits 1-0 format.
            1 => (|| {
                let v = match seg & 0x03 {
                    0 => r.u8()? as u32,
                    1 => {
                        r.u8()?; // pad
                        r.u16()? as u32
                    }
                    2 => {
                        r.u8()?;
                        r.u32()?
                    }
                    _ => return None,
                };
                match (seg >> 2) & 0x07 {
                    0 => p.class = Some(v),
                    1 => p.instance = Some(v),
                    2 => p.member = Some(v),
                    3 => p.connection_point = Some(v),
                    4 => p.attribute = Some(v),
                    _ => p.unparsed = true,
                }
                Some(())
            })(),
            // Network segment: 0x5X carries a word count, others one data byte.
            2 => (|| {
                if seg & 0x10 != 0 {
                    let words = r.u8()? as usize;
                    r.take(words * 2)?;
                } else {
                    r.u8()?;
                }
                Some(())
            })(),
            // Symbolic segment: low 5 bits = length.
            3 => (|| {
                let n = (seg & 0x1f) as usize;
                let s = r.take(n)?;
                push_symbol(&mut p, s);
                if (1 + n) % 2 == 1 {
                    let _ = r.take(1);
                }
                Some(())
            })(),
            // Data segment: 0x91 ANSI extended symbol, 0x80 simple data.
            4 => (|| {
                match seg {
                    0x91 => {
                        let n = r.u8()? as usize;
                        let s = r.take(n)?;
                        push_symbol(&mut p, s);
                        if n % 2 == 1 {
                            r.take(1)?;
                        }
                    }
                    0x80 => {
                        let words = r.u8()? as usize;
                        r.take(words * 2)?;
                    }
                    _ => return None,
                }
                Some(())
            })(),
            _ => None,
        };
        if ok.is_none() {
            p.unparsed = true;
            break;
        }
    }
    p
}

fn push_symbol<'a>(p: &mut EPath<'a>, s: &'a [u8]) {
    if p.n_symbols < MAX_SYMBOLS {
        p.symbols[p.n_symbols] = s;
        p.n_symbols += 1;
    } else {
        p.unparsed = true;
    }
}

/// Renders the tag name of a symbolic path (`Program:Main.Tag[3]`), if any.
pub fn tag_name(p: &EPath<'_>) -> Option<String> {
    if p.n_symbols == 0 {
        return None;
    }
    let mut s = String::new();
    for (i, sym) in p.symbols.iter().take(p.n_symbols).enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&otwatch_core::event::sanitize(sym));
    }
    if let Some(m) = p.member {
        s.push_str(&format!("[{m}]"));
    }
    Some(s)
}

/// Parses a CIP message (request when bit 7 of the service is clear, else response).
pub fn parse_cip(b: &[u8]) -> Option<CipMessage<'_>> {
    let mut r = Rd::new(b);
    let service = Service(r.u8()?);
    if service.is_response() {
        let _reserved = r.u8()?;
        let general_status = r.u8()?;
        let ext_words = r.u8()? as usize;
        let ext = r.take(ext_words * 2)?;
        let ext_status = ext.get(..2).map(|e| u16::from_le_bytes([e[0], e[1]]));
        Some(CipMessage::Response(CipResponse {
            service,
            general_status,
            ext_status,
            data: r.rest(),
        }))
    } else {
        let words = r.u8()? as usize;
        let path = parse_epath(r.take(words * 2)?);
        Some(CipMessage::Request(CipRequest {
            service,
            path,
            data: r.rest(),
        }))
    }
}

/// The embedded message of an Unconnected Send request's data, and its route path.
pub fn parse_unconnected_send(data: &[u8]) -> Option<(&[u8], EPath<'_>)> {
    let mut r = Rd::new(data);
    let _tick = r.u8()?;
    let _timeout = r.u8()?;
    let len = r.u16()? as usize;
    let msg = r.take(len)?;
    if len % 2 == 1 {
        let _ = r.u8();
    }
    let route = match r.u8() {
        Some(words) => {
            let _reserved = r.u8();
            parse_epath(r.take(words as usize * 2).unwrap_or(&[]))
        }
        None => EPath::default(),
    };
    Some((msg, route))
}

/// The embedded messages of a Multiple Service Packet body (request or response):
/// a count, then offsets from the start of the body. Returns the slices, and
/// false when the body was truncated or over [`MAX_MULTIPLE`].
pub fn parse_multiple(data: &[u8]) -> (Vec<&[u8]>, bool) {
    let mut r = Rd::new(data);
    let Some(count) = r.u16() else {
        return (Vec::new(), false);
    };
    let n = (count as usize).min(MAX_MULTIPLE);
    let mut offs = Vec::with_capacity(n);
    for _ in 0..n {
        match r.u16() {
            Some(o) => offs.push(o as usize),
            None => return (Vec::new(), false),
        }
    }
    let mut out = Vec::with_capacity(n);
    let mut complete = count as usize <= MAX_MULTIPLE;
    for (i, &o) in offs.iter().enumerate() {
        let end = offs.get(i + 1).copied().unwrap_or(data.len());
        match data.get(o..end) {
            Some(s) if !s.is_empty() => out.push(s),
            _ => complete = false,
        }
    }
    (out, complete)
}

/// Forward Open parameters otwatch reports. Vol. 1 3-5.5.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardOpen<'a> {
    /// Originator-to-target connection id (chosen by the target; 0 in requests).
    pub o_t_connection_id: u32,
    /// Target-to-originator connection id.
    pub t_o_connection_id: u32,
    /// Connection serial number.
    pub connection_serial: u16,
    /// Originator vendor id.
    pub originator_vendor: u16,
    /// Originator serial number.
    pub originator_serial: u32,
    /// Requested O→T packet interval, µs.
    pub o_t_rpi: u32,
    /// Requested T→O packet interval, µs.
    pub t_o_rpi: u32,
    /// Transport class and trigger byte.
    pub transport: u8,
    /// Connection path (the target object).
    pub path: EPath<'a>,
}

/// Parses a Forward Open (or Large Forward Open when `large`) request's data.
pub fn parse_forward_open(data: &[u8], large: bool) -> Option<ForwardOpen<'_>> {
    let mut r = Rd::new(data);
    r.take(2)?; // priority/tick, timeout ticks
    let o_t_connection_id = r.u32()?;
    let t_o_connection_id = r.u32()?;
    let connection_serial = r.u16()?;
    let originator_vendor = r.u16()?;
    let originator_serial = r.u32()?;
    r.take(4)?; // timeout multiplier + 3 reserved
    let o_t_rpi = r.u32()?;
    r.take(if large { 4 } else { 2 })?;
    let t_o_rpi = r.u32()?;
    r.take(if large { 4 } else { 2 })?;
    let transport = r.u8()?;
    let words = r.u8()? as usize;
    let path = parse_epath(r.take(words * 2).unwrap_or(r.rest()));
    Some(ForwardOpen {
        o_t_connection_id,
        t_o_connection_id,
        connection_serial,
        originator_vendor,
        originator_serial,
        o_t_rpi,
        t_o_rpi,
        transport,
        path,
    })
}

/// Decodes a CIP elementary-typed value list (`type u16, data`) as used by Logix
/// Read/Write Tag: returns the values (at most `max`) and the type code.
pub fn typed_values(type_code: u16, data: &[u8], max: usize) -> Vec<f64> {
    let size = match type_code {
        0xc1 | 0xc2 | 0xc6 => 1,        // BOOL, SINT, USINT
        0xc3 | 0xc7 => 2,               // INT, UINT
        0xc4 | 0xc8 | 0xca | 0xd3 => 4, // DINT, UDINT, REAL, DWORD
        0xc5 | 0xc9 | 0xcb => 8,        // LINT, ULINT, LREAL
        _ => return Vec::new(),
    };
    data.chunks_exact(size)
        .take(max)
        .map(|c| match (type_code, c) {
            (0xc1, [b]) => (*b != 0) as u8 as f64,
            (0xc2, [b]) => *b as i8 as f64,
            (0xc6, [b]) => *b as f64,
            (0xc3, [a, b]) => i16::from_le_bytes([*a, *b]) as f64,
            (0xc7, [a, b]) => u16::from_le_bytes([*a, *b]) as f64,
            (0xc4, [a, b, c, d]) => i32::from_le_bytes([*a, *b, *c, *d]) as f64,
            (0xca, [a, b, c, d]) => f32::from_le_bytes([*a, *b, *c, *d]) as f64,
            (_, [a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]) as f64,
            (0xc5, s) => i64::from_le_bytes(s.try_into().unwrap_or([0; 8])) as f64,
            (0xcb, s) => f64::from_le_bytes(s.try_into().unwrap_or([0; 8])),
            (_, s) => u64::from_le_bytes(s.try_into().unwrap_or([0; 8])) as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epath_logical_8_16_and_symbolic() {
        let p = parse_epath(&[
            0x20, 0x06, // class 6
            0x24, 0x01, // instance 1
        ]);
        assert_eq!((p.class, p.instance), (Some(6), Some(1)));
        let p = parse_epath(&[
            0x21, 0x00, 0x34, 0x12, // class 0x1234 (16-bit, padded)
            0x25, 0x00, 0x02, 0x00, // instance 2
            0x30, 0x03, // attribute 3
        ]);
        assert_eq!(
            (p.class, p.instance, p.attribute),
            (Some(0x1234), Some(2), Some(3))
        );
        assert!(!p.unparsed);
        let p = parse_epath(&[
            0x91, 0x05, b'S', b'p', b'e', b'e', b'd', 0x00, // ANSI symbol "Speed" + pad
            0x28, 0x02, // element 2
        ]);
        assert_eq!(tag_name(&p).as_deref(), Some("Speed[2]"));
        let p = parse_epath(&[
            0x01, 0x00, // port 1, link 0 (backplane slot 0)
            0x20, 0x02, 0x24, 0x01,
        ]);
        assert_eq!(p.port, Some((1, 0)));
        assert_eq!(p.class, Some(2));
        assert!(parse_epath(&[0x21, 0x00]).unparsed);
    }

    #[test]
    fn unconnected_send_unwraps() {
        // iti-ics-security-tools EthernetIP-CIP.pcap style: 0x52 to class 6 wrapping 0x01.
        let data = [
            0x0a, 0xf0, // tick, timeout
            0x06, 0x00, // embedded size 6
            0x01, 0x02, 0x20, 0x01, 0x24, 0x01, // get_attributes_all identity/1
            0x01, 0x00, // route path: 1 word, reserved
            0x01, 0x00, // port 1, slot 0
        ];
        let (msg, route) = parse_unconnected_send(&data).expect("unwrap");
        let Some(CipMessage::Request(r)) = parse_cip(msg) else {
            panic!()
        };
        assert_eq!(r.service.0, 0x01);
        assert_eq!(r.path.class, Some(1));
        assert_eq!(route.port, Some((1, 0)));
    }

    #[test]
    fn multiple_service_offsets() {
        let body = [
            0x02, 0x00, // count
            0x06, 0x00, 0x0c, 0x00, // offsets 6, 12
            0x0e, 0x02, 0x20, 0x01, 0x24, 0x01, // get_attribute_single
            0x0e, 0x02, 0x20, 0x02, 0x24, 0x01,
        ];
        let (v, ok) = parse_multiple(&body);
        assert!(ok);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1][3], 0x02);
        let (_, ok) = parse_multiple(&body[..8]);
        assert!(!ok);
    }

    #[test]
    fn typed_values_decode() {
        assert_eq!(typed_values(0xca, &1.5f32.to_le_bytes(), 8), vec![1.5]);
        assert_eq!(
            typed_values(0xc3, &[0xff, 0xff, 0x02, 0x00], 8),
            vec![-1.0, 2.0]
        );
        assert!(typed_values(0x02a0, &[1, 2], 8).is_empty());
    }
}
