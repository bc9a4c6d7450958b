//! S7comm PDUs → events: function names, operation classes, points, SZL identity,
//! return codes. Weird names are listed in docs/events/s7comm.md.

use super::parser::{parse_data_items, parse_szl};
use super::types::*;
use otwatch_core::{Event, Identity, IdentitySubject, OpClass, Point, Value};
use std::borrow::Cow;

/// Cap on requests awaiting a response per flow (S7 negotiates "max AmQ" parallel jobs,
/// typically 1-8; 32 leaves room).
pub const MAX_PENDING: usize = 32;
/// Cap on points per event.
pub const MAX_POINTS: usize = 256;
/// Cap on weird events per flow.
pub const MAX_WEIRDS_PER_FLOW: u32 = 100;
/// Cap on items listed in the `items` field.
pub const MAX_LISTED_ITEMS: usize = 32;

/// Stable name and operation class of a job function.
pub fn job_function(f: S7Function) -> (Cow<'static, str>, OpClass) {
    use OpClass::*;
    let (n, op) = match f.0 {
        0x00 => ("cpu_services", Diagnostic),
        0x04 => ("read_var", Read),
        0x05 => ("write_var", Write),
        0x1a => ("request_download", Program),
        0x1b => ("download_block", Program),
        0x1c => ("download_ended", Program),
        0x1d => ("start_upload", Program),
        0x1e => ("upload", Program),
        0x1f => ("end_upload", Program),
        0x28 => ("pi_service", Control),
        0x29 => ("plc_stop", Control),
        0xf0 => ("setup_communication", Session),
        n => return (Event::unknown_code(n), Other),
    };
    (Cow::Borrowed(n), op)
}

/// Operation class of a PI service by name: block insertion/deletion and memory
/// compression change the program; `P_PROGRAM` and the rest change the CPU's state.
pub fn pi_service_op(name: &str) -> OpClass {
    match name {
        "_INSE" | "_DELE" | "_GARB" | "_MODU" | "_N_F_DELE" | "_N_F_COPY" | "_N_F_PROT" => {
            OpClass::Program
        }
        _ => OpClass::Control,
    }
}

/// Stable name and class of a user data function (group, sub-function).
pub fn userdata_function(group: u8, sub: u8) -> (Cow<'static, str>, OpClass) {
    use OpClass::*;
    let (n, op) = match (group, sub) {
        (0, _) => ("mode_transition", Diagnostic),
        (1, 1) => ("request_diag_data", Diagnostic),
        (1, 2) => ("var_tab", Read),
        (1, 0x0c) => ("erase", Program),
        (1, 0x0e) => ("read_diag_data", Diagnostic),
        (1, 0x0f) => ("remove_diag_data", Diagnostic),
        (1, 0x10) => ("forces", Write),
        (1, _) => ("programmer_command", Diagnostic),
        (2, 1) => ("cyclic_memory", Read),
        (2, 4) => ("cyclic_unsubscribe", Read),
        (2, 5) => ("cyclic_change_driven", Read),
        (2, _) => ("cyclic_data", Read),
        (3, 1) => ("list_blocks", Diagnostic),
        (3, 2) => ("list_blocks_of_type", Diagnostic),
        (3, 3) => ("get_block_info", Diagnostic),
        (4, 1) => ("read_szl", Diagnostic),
        (4, 2) => ("message_service", Diagnostic),
        (4, 3) => ("diagnostic_message", Diagnostic),
        (4, 5) => ("alarm8_indication", Diagnostic),
        (4, 6) => ("notify_indication", Diagnostic),
        (4, 7) => ("alarm8_lock", Diagnostic),
        (4, 8) => ("alarm8_unlock", Diagnostic),
        (4, 0x0b) => ("alarm_ack", Diagnostic),
        (4, 0x0c) => ("alarm_ack_indication", Diagnostic),
        (4, 0x0d) => ("alarm_lock_indication", Diagnostic),
        (4, 0x0e) => ("alarm_unlock_indication", Diagnostic),
        (4, 0x11) => ("alarm_sq_indication", Diagnostic),
        (4, 0x12) => ("alarm_s_indication", Diagnostic),
        (4, 0x13) => ("alarm_query", Diagnostic),
        (4, 0x16) => ("notify8_indication", Diagnostic),
        (5, 1) => ("plc_password", Session),
        (5, 2) => ("clear_password", Session),
        (6, _) => ("bsend_brecv", Write),
        (7, 1) => ("read_clock", Diagnostic),
        (7, 2) => ("set_clock", Control),
        (7, 3) => ("read_clock_following", Diagnostic),
        (7, 4) => ("set_clock_2", Control),
        _ => return (Event::unknown_code((group as u16) << 8 | sub as u16), Other),
    };
    (Cow::Borrowed(n), op)
}

/// Name of a memory area and the point spaces for byte and bit access.
pub fn area(code: u8) -> (&'static str, &'static str, &'static str) {
    match code {
        0x80 => ("p", "p", "p_bit"),
        0x81 => ("i", "i", "i_bit"),
        0x82 => ("q", "q", "q_bit"),
        0x83 => ("m", "m", "m_bit"),
        0x84 => ("db", "db", "db_bit"),
        0x85 => ("di", "di", "di_bit"),
        0x86 => ("l", "l", "l_bit"),
        0x87 => ("v", "v", "v_bit"),
        0x1c => ("c", "c", "c"),
        0x1d => ("t", "t", "t"),
        0x1e => ("iec_counter", "c", "c"),
        0x1f => ("iec_timer", "t", "t"),
        _ => ("other", "other", "other"),
    }
}

/// Name of an item transport size (element type).
pub fn transport_size_name(ts: u8) -> &'static str {
    match ts {
        1 => "bit",
        2 => "byte",
        3 => "char",
        4 => "word",
        5 => "int",
        6 => "dword",
        7 => "dint",
        8 => "real",
        9 => "date",
        0x0a => "tod",
        0x0b => "time",
        0x0c => "s5time",
        0x0f => "date_and_time",
        0x1c => "counter",
        0x1d => "timer",
        _ => "other",
    }
}

/// Name of a header error class (S7 ack_data header).
pub fn error_class_name(class: u8) -> Cow<'static, str> {
    Cow::Borrowed(match class {
        0x81 => "application_relationship_error",
        0x82 => "object_definition_error",
        0x83 => "no_resources",
        0x84 => "service_processing_error",
        0x85 => "supplies_error",
        0x87 => "access_error",
        c => return Event::unknown_code(c),
    })
}

/// Name of an item return code.
pub fn return_code_name(rc: u8) -> Cow<'static, str> {
    Cow::Borrowed(match rc {
        0xff => "ok",
        0x01 => "hardware_fault",
        0x03 => "object_access_not_allowed",
        0x05 => "invalid_address",
        0x06 => "data_type_not_supported",
        0x07 => "data_type_inconsistent",
        0x0a => "object_does_not_exist",
        c => return Event::unknown_code(c),
    })
}

/// A short text of an item spec: `db1.dbb0 byte*4`-like, for the `items` field.
pub fn item_text(it: &VarItem) -> String {
    if it.syntax_id != 0x10 {
        return format!("syntax_{:#04x}", it.syntax_id);
    }
    let (a, ..) = area(it.area);
    let db = if matches!(it.area, 0x84 | 0x85) {
        it.db.to_string()
    } else {
        String::new()
    };
    format!(
        "{a}{db}.{}.{} {}*{}",
        it.address >> 3,
        it.address & 7,
        transport_size_name(it.transport_size),
        it.length
    )
}

/// Appends points for item `it` with value bytes `data`, capped at [`MAX_POINTS`].
pub fn push_item_points(e: &mut Event, it: &VarItem, data: &[u8]) {
    if it.syntax_id != 0x10 {
        return;
    }
    let (_, byte_space, bit_space) = area(it.area);
    let group = if matches!(it.area, 0x84 | 0x85) {
        it.db as u32
    } else {
        0
    };
    let base = it.address >> 3;
    let size = match it.transport_size {
        1..=3 => 1,
        4 | 5 | 0x1c | 0x1d => 2,
        6..=8 => 4,
        _ => return,
    };
    let n = (data.len() / size).min(it.length as usize);
    for i in 0..n {
        if e.points.len() >= MAX_POINTS {
            if e.fields.get("points_truncated").is_none() {
                e.fields.push("points_truncated", true);
            }
            return;
        }
        let c = &data[i * size..(i + 1) * size];
        let (space, index, value) = match it.transport_size {
            1 => (bit_space, it.address + i as u32, (c[0] & 1) as f64),
            2 | 3 => (byte_space, base + i as u32, c[0] as f64),
            4 | 0x1c | 0x1d => (
                byte_space,
                base + 2 * i as u32,
                u16::from_be_bytes([c[0], c[1]]) as f64,
            ),
            5 => (
                byte_space,
                base + 2 * i as u32,
                i16::from_be_bytes([c[0], c[1]]) as f64,
            ),
            6 => (
                byte_space,
                base + 4 * i as u32,
                u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64,
            ),
            7 => (
                byte_space,
                base + 4 * i as u32,
                i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64,
            ),
            _ => (
                byte_space,
                base + 4 * i as u32,
                f32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64,
            ),
        };
        e.points.push(Point {
            space,
            group,
            index,
            value,
        });
    }
}

/// Adds item fields (count, list, first item's address) to a read/write event.
pub fn push_item_fields(e: &mut Event, items: &[VarItem], truncated: bool) {
    e.fields.push("item_count", items.len());
    if truncated {
        e.fields.push("items_truncated", true);
    }
    let list = items
        .iter()
        .take(MAX_LISTED_ITEMS)
        .map(|it| Value::Str(item_text(it)))
        .collect();
    e.fields.push("items", Value::List(list));
    if let Some(it) = items.first().filter(|it| it.syntax_id == 0x10) {
        e.fields.push("area", area(it.area).0);
        if matches!(it.area, 0x84 | 0x85) {
            e.fields.push("db_number", it.db);
        }
        e.fields.push("address", it.address >> 3);
        e.fields
            .push("transport_size", transport_size_name(it.transport_size));
    }
}

/// Applies a read_var response's data items: points at the request's addresses and the
/// first failing return code as status.
pub fn apply_read_data(
    e: &mut Event,
    items: &[VarItem],
    data: &[u8],
    count: usize,
) -> Result<(), &'static str> {
    let d = parse_data_items(data, count)?;
    for (it, di) in items.iter().zip(&d) {
        if di.return_code == 0xff {
            push_item_points(e, it, di.data);
        }
    }
    apply_return_codes(e, d.iter().map(|d| d.return_code));
    Ok(())
}

/// Sets status from item return codes (first failure wins) and lists failures.
pub fn apply_return_codes(e: &mut Event, codes: impl Iterator<Item = u8>) {
    let mut failed = Vec::new();
    for rc in codes {
        if rc != 0xff {
            if failed.is_empty() {
                e.status = Some(return_code_name(rc));
            }
            if failed.len() < MAX_LISTED_ITEMS {
                failed.push(Value::U64(rc as u64));
            }
        }
    }
    if !failed.is_empty() {
        e.fields.push("item_errors", Value::List(failed));
    }
}

/// A block file name (`_0A00001P`: type, number, destination) → fields.
pub fn push_block_name(e: &mut Event, name: &[u8]) {
    e.fields.push("block_name", Value::text(name));
    if let [b'_', t0, t1, num @ ..] = name {
        let ty = match (t0, t1) {
            (b'0', b'8') => "ob",
            (b'0', b'A') => "db",
            (b'0', b'B') => "sdb",
            (b'0', b'C') => "fc",
            (b'0', b'D') => "sfc",
            (b'0', b'E') => "fb",
            (b'0', b'F') => "sfb",
            _ => "other",
        };
        e.fields.push("block_type", ty);
        if let Some(n) = num
            .get(..5)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|s| s.parse::<u32>().ok())
        {
            e.fields.push("block_number", n);
        }
    }
}

fn text(b: &[u8]) -> Option<String> {
    match Value::text(b) {
        Value::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// Applies an SZL read response: id/index fields, and identity from SZL 0x0011
/// (module identification: order number, firmware) and 0x001C (component
/// identification: names, serial), CPU state from 0x0424.
pub fn apply_szl(e: &mut Event, payload: &[u8]) {
    let Some(szl) = parse_szl(payload) else {
        return;
    };
    if e.fields.get("szl_id").is_none() {
        e.fields.push("szl_id", szl.id);
        e.fields.push("szl_index", szl.index);
    }
    e.fields.push("szl_record_count", szl.count);
    let rl = szl.record_len as usize;
    if rl == 0 {
        return;
    }
    let mut id = Identity {
        subject: Some(IdentitySubject::Dst),
        ..Identity::default()
    };
    for r in szl.records.chunks_exact(rl) {
        let idx = u16::from_be_bytes([r[0], r[1]]);
        match szl.id & 0x00ff {
            0x11 if rl >= 28 => match idx {
                1 => id.model = text(&r[2..22]),
                7 => {
                    let (g, b) = (
                        u16::from_be_bytes([r[24], r[25]]),
                        u16::from_be_bytes([r[26], r[27]]),
                    );
                    if g >> 8 == b'V' as u16 {
                        id.firmware = Some(format!("V{}.{}.{}", g & 0xff, b >> 8, b & 0xff));
                    }
                }
                _ => {}
            },
            0x1c if rl >= 34 => {
                let s = text(&r[2..34]);
                match idx {
                    1 => id.name = s,
                    2 => id.product = s,
                    4 if s.as_deref().is_some_and(|s| s.contains("Siemens")) => {
                        id.vendor = Some("Siemens".into())
                    }
                    5 => id.serial = s,
                    7 if id.product.is_none() => id.product = s,
                    _ => {}
                }
            }
            0x24 if rl >= 4 && szl.id == 0x0424 && e.fields.get("cpu_state").is_none() => {
                e.fields.push("cpu_state", r[3]);
            }
            _ => {}
        }
    }
    if id
        != (Identity {
            subject: Some(IdentitySubject::Dst),
            ..Identity::default()
        })
    {
        e.identity = Some(Box::new(id));
    }
}
