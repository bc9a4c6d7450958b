//! Pure Modbus/TCP parsers: `&[u8]` in, a PDU or a weird name out. Never panics.

use super::types::*;
use otwatch_core::{Direction, Probe};

/// Outcome of parsing one ADU from the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A PDU and the bytes it used.
    Ok(T, usize),
    /// Need at least this many more bytes.
    Incomplete(usize),
    /// Not a valid ADU; the static name is the weird to report.
    Invalid(&'static str),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

/// True when the 8 bytes at the front of `b` look like an MBAP header plus a function
/// code (protocol id 0, length 2..=254, plausible function code). Used for probing and
/// for resynchronisation after garbage.
pub fn plausible_header(b: &[u8]) -> bool {
    let (Some(proto), Some(len), Some(&fc)) = (be16(b, 2), be16(b, 4), b.get(7)) else {
        return false;
    };
    proto == 0
        && (MIN_LENGTH_FIELD..=MAX_LENGTH_FIELD).contains(&(len as usize))
        && FunctionCode(fc).is_plausible()
}

/// Parses one ADU (MBAP header + PDU) from the front of `b`.
pub fn parse_adu(b: &[u8]) -> Parsed<ModbusPdu<'_>> {
    if b.len() < MBAP_LEN + 1 {
        // Reject early on what is already visible.
        if be16(b, 2).is_some_and(|p| p != 0) {
            return Parsed::Invalid("modbus_bad_protocol_id");
        }
        if be16(b, 4)
            .is_some_and(|l| !(MIN_LENGTH_FIELD..=MAX_LENGTH_FIELD).contains(&(l as usize)))
        {
            return Parsed::Invalid("modbus_bad_length");
        }
        return Parsed::Incomplete(MBAP_LEN + 1 - b.len());
    }
    if be16(b, 2) != Some(0) {
        return Parsed::Invalid("modbus_bad_protocol_id");
    }
    let len = be16(b, 4).unwrap_or(0) as usize;
    if !(MIN_LENGTH_FIELD..=MAX_LENGTH_LENIENT).contains(&len) {
        return Parsed::Invalid("modbus_bad_length");
    }
    let fc = FunctionCode(b[7]);
    let total = 6 + len;
    if b.len() < total {
        return Parsed::Incomplete(total - b.len());
    }
    Parsed::Ok(
        ModbusPdu {
            txid: be16(b, 0).unwrap_or(0),
            unit: b[6],
            fc,
            data: &b[MBAP_LEN + 1..total],
        },
        total,
    )
}

/// Decodes a request PDU body. `Err` carries the weird name.
pub fn parse_request(fc: FunctionCode, d: &[u8]) -> Result<ModbusRequest<'_>, &'static str> {
    let exact = |n: usize| {
        if d.len() == n {
            Ok(())
        } else {
            Err("modbus_length_mismatch")
        }
    };
    let w = |at| be16(d, at).unwrap_or(0);
    Ok(match fc.0 {
        1..=4 => {
            exact(4)?;
            let q = w(2);
            let max = if fc.0 <= 2 {
                MAX_READ_BITS
            } else {
                MAX_READ_REGS
            };
            if q == 0 || q > max {
                return Err("modbus_quantity_out_of_range");
            }
            ModbusRequest::Read {
                address: w(0),
                quantity: q,
            }
        }
        5 | 6 => {
            exact(4)?;
            if fc.0 == 5 && !matches!(w(2), 0x0000 | 0xff00) {
                return Err("modbus_bad_coil_value");
            }
            ModbusRequest::WriteSingle {
                address: w(0),
                value: w(2),
            }
        }
        15 | 16 => {
            let (Some(&count), q) = (d.get(4), w(2)) else {
                return Err("modbus_length_mismatch");
            };
            let values = d.get(5..).unwrap_or(&[]);
            if values.len() != count as usize {
                return Err("modbus_byte_count_mismatch");
            }
            let (max, need) = if fc.0 == 15 {
                (MAX_WRITE_BITS, (q as usize).div_ceil(8))
            } else {
                (MAX_WRITE_REGS, q as usize * 2)
            };
            if q == 0 || q > max {
                return Err("modbus_quantity_out_of_range");
            }
            if need != count as usize {
                return Err("modbus_byte_count_mismatch");
            }
            ModbusRequest::WriteMultiple {
                address: w(0),
                quantity: q,
                values,
            }
        }
        22 => {
            exact(6)?;
            ModbusRequest::MaskWrite {
                address: w(0),
                and_mask: w(2),
                or_mask: w(4),
            }
        }
        23 => {
            let Some(&count) = d.get(8) else {
                return Err("modbus_length_mismatch");
            };
            let values = d.get(9..).unwrap_or(&[]);
            let (rq, wq) = (w(2), w(6));
            if values.len() != count as usize || count as usize != wq as usize * 2 {
                return Err("modbus_byte_count_mismatch");
            }
            if rq == 0 || rq > MAX_READ_REGS || wq == 0 || wq > MAX_RW_WRITE_REGS {
                return Err("modbus_quantity_out_of_range");
            }
            ModbusRequest::ReadWrite {
                read_address: w(0),
                read_quantity: rq,
                write_address: w(4),
                write_quantity: wq,
                values,
            }
        }
        8 => {
            if d.len() < 2 {
                return Err("modbus_length_mismatch");
            }
            ModbusRequest::Diagnostics {
                subfunction: w(0),
                data: &d[2..],
            }
        }
        43 => match d.first() {
            Some(&MEI_READ_DEVICE_ID) => {
                // Trailing bytes are ignored (seen from real clients; Wireshark does too).
                if d.len() < 3 {
                    return Err("modbus_length_mismatch");
                }
                ModbusRequest::ReadDeviceId {
                    read_code: d[1],
                    object_id: d[2],
                }
            }
            Some(&m) => ModbusRequest::Mei { mei_type: m },
            None => return Err("modbus_length_mismatch"),
        },
        24 => {
            exact(2)?;
            ModbusRequest::ReadFifo { address: w(0) }
        }
        90 => match d {
            [session, function, ..] => ModbusRequest::Umas {
                session: *session,
                function: *function,
            },
            _ => return Err("modbus_length_mismatch"),
        },
        7 | 11 | 12 | 17 => {
            exact(0)?;
            ModbusRequest::Empty
        }
        _ => ModbusRequest::Other(d),
    })
}

/// Decodes a response PDU body. `Err` carries the weird name.
pub fn parse_response(fc: FunctionCode, d: &[u8]) -> Result<ModbusResponse<'_>, &'static str> {
    let w = |at| be16(d, at).unwrap_or(0);
    if fc.is_exception() {
        return match d {
            [code] => Ok(ModbusResponse::Exception(ExceptionCode(*code))),
            _ => Err("modbus_length_mismatch"),
        };
    }
    Ok(match fc.0 {
        1..=4 | 23 => {
            let Some(&count) = d.first() else {
                return Err("modbus_length_mismatch");
            };
            let values = &d[1..];
            if values.len() != count as usize || (fc.0 > 2 && count % 2 != 0) {
                return Err("modbus_byte_count_mismatch");
            }
            ModbusResponse::Data(values)
        }
        5 | 6 => {
            if d.len() != 4 {
                return Err("modbus_length_mismatch");
            }
            ModbusResponse::WriteSingle {
                address: w(0),
                value: w(2),
            }
        }
        15 | 16 => {
            if d.len() != 4 {
                return Err("modbus_length_mismatch");
            }
            ModbusResponse::WriteMultiple {
                address: w(0),
                quantity: w(2),
            }
        }
        22 => {
            if d.len() != 6 {
                return Err("modbus_length_mismatch");
            }
            ModbusResponse::MaskWrite {
                address: w(0),
                and_mask: w(2),
                or_mask: w(4),
            }
        }
        8 => {
            if d.len() < 2 {
                return Err("modbus_length_mismatch");
            }
            ModbusResponse::Diagnostics {
                subfunction: w(0),
                data: &d[2..],
            }
        }
        43 if d.first() == Some(&MEI_READ_DEVICE_ID) => {
            ModbusResponse::DeviceId(parse_device_id(d).ok_or("modbus_bad_device_id")?)
        }
        90 => match d {
            [session, status, ..] => ModbusResponse::Umas {
                session: *session,
                status: *status,
            },
            _ => return Err("modbus_length_mismatch"),
        },
        _ => ModbusResponse::Other(d),
    })
}

/// Parses a Read Device Identification response body (starting at the MEI type).
/// MAP v1.1b3, 6.21: MEI, read code, conformity, more follows, next id, count, objects.
pub fn parse_device_id(d: &[u8]) -> Option<DeviceId<'_>> {
    let hdr = d.get(..6)?;
    let count = hdr[5] as usize;
    let mut objects = Vec::with_capacity(count.min(d.len() / 2));
    let mut at = 6;
    for _ in 0..count {
        let id = *d.get(at)?;
        let len = *d.get(at + 1)? as usize;
        let v = d.get(at + 2..at + 2 + len)?;
        objects.push((id, v));
        at += 2 + len;
    }
    Some(DeviceId {
        read_code: hdr[1],
        conformity: hdr[2],
        more_follows: hdr[3] == 0xff,
        next_object_id: hdr[4],
        objects,
    })
}

/// Strict content probe: MBAP protocol id 0, length within bounds and consistent with
/// the bytes seen (a following ADU must look like one too), and a plausible function
/// code (1..=127, 0x81..=0xFF; 0 only when the ADU spans the bytes exactly, as scanners
/// send it). The unit id may be anything.
pub fn probe(_dir: Direction, b: &[u8]) -> Probe {
    if be16(b, 4).is_some_and(|l| l as usize > MAX_LENGTH_FIELD) {
        return Probe::NoMatch;
    }
    if let Some(&fc) = b.get(7) {
        let exact = be16(b, 4).is_some_and(|l| l as usize + 6 == b.len());
        if !FunctionCode(fc).is_plausible() && !exact {
            return Probe::NoMatch;
        }
    }
    match parse_adu(b) {
        Parsed::Invalid(_) => Probe::NoMatch,
        Parsed::Incomplete(_) => Probe::NeedMore,
        Parsed::Ok(_, n) => {
            // Header fields are checked; the body is not (a malformed body on a valid
            // MBAP frame is still Modbus, reported as a weird by the session).
            let rest = &b[n..];
            if rest.is_empty() {
                return Probe::Match;
            }
            match parse_adu(rest) {
                Parsed::Invalid(_) => Probe::NoMatch,
                _ => Probe::Match,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Read Holding Registers request, MAP v1.1b3 6.3 example (address 107 → 0x006B, 3 regs).
    const READ_REQ: [u8; 12] = [
        0x00, 0x01, // transaction id
        0x00, 0x00, // protocol id
        0x00, 0x06, // length
        0x11, // unit id 17
        0x03, // fc read holding registers
        0x00, 0x6b, // starting address 107
        0x00, 0x03, // quantity 3
    ];

    #[test]
    fn parses_mbap_and_read_request() {
        let Parsed::Ok(p, n) = parse_adu(&READ_REQ) else {
            panic!("not parsed");
        };
        assert_eq!((n, p.txid, p.unit, p.fc), (12, 1, 17, FunctionCode(3)));
        assert_eq!(
            parse_request(p.fc, p.data),
            Ok(ModbusRequest::Read {
                address: 107,
                quantity: 3
            })
        );
        assert_eq!(probe(Direction::ToServer, &READ_REQ), Probe::Match);
        assert_eq!(probe(Direction::ToServer, &READ_REQ[..9]), Probe::NeedMore);
    }

    #[test]
    fn rejects_bad_headers() {
        let mut b = READ_REQ;
        b[3] = 1; // protocol id 1
        assert_eq!(parse_adu(&b), Parsed::Invalid("modbus_bad_protocol_id"));
        let mut b = READ_REQ;
        b[4] = 4; // length 1030
        assert_eq!(parse_adu(&b), Parsed::Invalid("modbus_bad_length"));
        b[4] = 1; // length 262: parsed by the session, but not a probe match
        assert_eq!(probe(Direction::ToServer, &b), Probe::NoMatch);
        let mut b = READ_REQ.to_vec();
        b[7] = 0x80; // fc 0x80: framed, but not a plausible start of a stream
        b.extend_from_slice(&READ_REQ);
        assert_eq!(probe(Direction::ToServer, &b), Probe::NoMatch);
        assert_eq!(
            probe(Direction::ToServer, b"GET / HTTP/1.1\r\n"),
            Probe::NoMatch
        );
    }

    #[test]
    fn validates_bodies() {
        // Write Multiple Registers, MAP 6.12 example: addr 1, 2 regs, 4 bytes, 0x000A 0x0102.
        let d = [0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0a, 0x01, 0x02];
        assert!(matches!(
            parse_request(FunctionCode(16), &d),
            Ok(ModbusRequest::WriteMultiple {
                address: 1,
                quantity: 2,
                ..
            })
        ));
        assert_eq!(
            parse_request(FunctionCode(16), &d[..8]),
            Err("modbus_byte_count_mismatch")
        );
        assert_eq!(
            parse_request(FunctionCode(5), &[0, 1, 0x12, 0x34]),
            Err("modbus_bad_coil_value")
        );
        assert_eq!(
            parse_response(FunctionCode(0x83), &[0x02]),
            Ok(ModbusResponse::Exception(ExceptionCode(2)))
        );
        // Read Holding Registers response, MAP 6.3 example: 6 bytes 022B 0000 0064.
        assert_eq!(
            parse_response(FunctionCode(3), &[0x06, 0x02, 0x2b, 0, 0, 0, 0x64]),
            Ok(ModbusResponse::Data(&[0x02, 0x2b, 0, 0, 0, 0x64][..]))
        );
    }

    #[test]
    fn parses_device_identification() {
        // MAP 6.21 example shape: MEI 14, code 1, conformity 0x01, no more, next 0, 3 objects.
        let d = [
            0x0e, 0x01, 0x01, 0x00, 0x00, 0x03, // header
            0x00, 0x04, b'A', b'C', b'M', b'E', // vendor name
            0x01, 0x02, b'P', b'1', // product code
            0x02, 0x04, b'V', b'2', b'.', b'1', // revision
        ];
        let Ok(ModbusResponse::DeviceId(id)) = parse_response(FunctionCode(43), &d) else {
            panic!("not parsed");
        };
        assert_eq!(id.objects.len(), 3);
        assert_eq!(id.objects[0], (0, &b"ACME"[..]));
        assert_eq!(
            parse_response(FunctionCode(43), &d[..20]),
            Err("modbus_bad_device_id")
        );
    }
}
