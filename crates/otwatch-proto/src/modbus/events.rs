//! Modbus transactions → events: function names, operation classes, points, identity.
//!
//! Weird names: `modbus_bad_protocol_id`, `modbus_bad_length`,
//! `modbus_bad_function_code`, `modbus_length_mismatch`, `modbus_byte_count_mismatch`,
//! `modbus_quantity_out_of_range`, `modbus_bad_coil_value`, `modbus_bad_device_id`,
//! `modbus_function_mismatch`, `modbus_too_many_pending`, `modbus_gap`,
//! `modbus_too_many_weirds` (see docs/events/modbus.md).

use super::types::*;
use otwatch_core::{Event, Identity, IdentitySubject, OpClass, Point, Value};
use std::borrow::Cow;

/// Cap on requests awaiting a response per flow. Modbus/TCP v1.0b 4.2 lets a client
/// pipeline requests; real devices accept a handful (16 is common), 64 leaves room.
pub const MAX_PENDING: usize = 64;
/// Cap on points per event (a read of 2000 coils would otherwise make 2000 points).
pub const MAX_POINTS: usize = 256;
/// Cap on weird events per flow: hostile or fuzzed streams can produce one per PDU.
pub const MAX_WEIRDS_PER_FLOW: u32 = 100;
/// A request unanswered for this long (packet time) is flushed with status `None`.
/// Modbus clients time out after a few seconds; 30 s covers slow gateways.
pub const REQUEST_TIMEOUT_NS: i64 = 30 * otwatch_core::Timestamp::SECOND;

/// Stable name and operation class of a function code (exception bit ignored).
pub fn function_name(fc: FunctionCode) -> (Cow<'static, str>, OpClass) {
    use OpClass::*;
    let (n, op) = match fc.base().0 {
        1 => ("read_coils", Read),
        2 => ("read_discrete_inputs", Read),
        3 => ("read_holding_registers", Read),
        4 => ("read_input_registers", Read),
        5 => ("write_single_coil", Write),
        6 => ("write_single_register", Write),
        7 => ("read_exception_status", Diagnostic),
        8 => ("diagnostics", Diagnostic),
        11 => ("get_comm_event_counter", Diagnostic),
        12 => ("get_comm_event_log", Diagnostic),
        15 => ("write_multiple_coils", Write),
        16 => ("write_multiple_registers", Write),
        17 => ("report_server_id", Diagnostic),
        20 => ("read_file_record", Read),
        21 => ("write_file_record", Write),
        22 => ("mask_write_register", Write),
        23 => ("read_write_multiple_registers", Write),
        24 => ("read_fifo_queue", Read),
        43 => ("encapsulated_interface_transport", Other),
        90 => ("umas", Other),
        n => return (Event::unknown_code(n), Other),
    };
    (Cow::Borrowed(n), op)
}

/// Name and class of an FC 8 diagnostics sub-function. MAP v1.1b3, 6.8.1.
/// Restart and listen-only change the device's state (control).
pub fn diagnostic_subfunction(sub: u16) -> (Option<&'static str>, OpClass) {
    use OpClass::*;
    let (n, op) = match sub {
        0 => ("return_query_data", Diagnostic),
        1 => ("restart_communications_option", Control),
        2 => ("return_diagnostic_register", Diagnostic),
        3 => ("change_ascii_input_delimiter", Control),
        4 => ("force_listen_only_mode", Control),
        10 => ("clear_counters_and_diagnostic_register", Control),
        11 => ("return_bus_message_count", Diagnostic),
        12 => ("return_bus_communication_error_count", Diagnostic),
        13 => ("return_bus_exception_error_count", Diagnostic),
        14 => ("return_server_message_count", Diagnostic),
        15 => ("return_server_no_response_count", Diagnostic),
        16 => ("return_server_nak_count", Diagnostic),
        17 => ("return_server_busy_count", Diagnostic),
        18 => ("return_bus_character_overrun_count", Diagnostic),
        20 => ("clear_overrun_counter_and_flag", Control),
        _ => return (None, Diagnostic),
    };
    (Some(n), op)
}

/// Name and class of a UMAS function code (Schneider Electric, publicly documented by
/// reverse engineering; no official specification). Program transfer is `program`,
/// start/stop is `control`.
pub fn umas_function(f: u8) -> (Cow<'static, str>, OpClass) {
    use OpClass::*;
    let (n, op) = match f {
        0x01 => ("umas_init_comm", Session),
        0x02 => ("umas_read_id", Diagnostic),
        0x03 => ("umas_read_project_info", Diagnostic),
        0x04 => ("umas_read_plc_info", Diagnostic),
        0x06 => ("umas_read_card_info", Diagnostic),
        0x0a => ("umas_repeat", Other),
        0x10 => ("umas_take_plc_reservation", Session),
        0x11 => ("umas_release_plc_reservation", Session),
        0x12 => ("umas_keep_alive", Session),
        0x20 => ("umas_read_memory_block", Read),
        0x22 => ("umas_read_variables", Read),
        0x23 => ("umas_write_variables", Write),
        0x24 => ("umas_read_coils_registers", Read),
        0x25 => ("umas_write_coils_registers", Write),
        0x30 => ("umas_initialize_upload", Program),
        0x31 => ("umas_upload_block", Program),
        0x32 => ("umas_end_strategy_upload", Program),
        0x33 => ("umas_initialize_download", Program),
        0x34 => ("umas_download_block", Program),
        0x35 => ("umas_end_strategy_download", Program),
        0x36 => ("umas_create_backup", Program),
        0x37 => ("umas_restore_backup", Program),
        0x38 => ("umas_compare_backup", Program),
        0x39 => ("umas_read_ethernet_master_data", Read),
        0x40 => ("umas_start_plc", Control),
        0x41 => ("umas_stop_plc", Control),
        0x50 => ("umas_monitor_plc", Read),
        0x58 => ("umas_check_plc", Diagnostic),
        0x70 => ("umas_read_io_object", Read),
        0x71 => ("umas_write_io_object", Write),
        0x73 => ("umas_get_status_module", Diagnostic),
        n => return (Cow::Owned(format!("umas_unknown-{n}")), Other),
    };
    (Cow::Borrowed(n), op)
}

/// The address space of a read or write function.
pub fn space_of(fc: FunctionCode) -> &'static str {
    match fc.base().0 {
        1 | 5 | 15 => "coil",
        2 => "discrete_input",
        4 => "input_register",
        _ => "holding_register",
    }
}

/// What must be remembered of a read request to turn its response into points.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ReadContext {
    /// Address space.
    pub space: &'static str,
    /// Starting address.
    pub address: u16,
    /// Quantity requested.
    pub quantity: u16,
    /// True for bit spaces (coils, discrete inputs).
    pub bits: bool,
}

/// Appends points from packed bits (LSB first) or big-endian registers, capped.
pub fn push_points(e: &mut Event, rc: ReadContext, data: &[u8]) {
    let n = if rc.bits {
        (rc.quantity as usize).min(data.len() * 8)
    } else {
        (rc.quantity as usize).min(data.len() / 2)
    };
    for i in 0..n {
        if e.points.len() >= MAX_POINTS {
            if e.fields.get("points_truncated").is_none() {
                e.fields.push("points_truncated", true);
            }
            return;
        }
        let value = if rc.bits {
            ((data[i / 8] >> (i % 8)) & 1) as f64
        } else {
            u16::from_be_bytes([data[2 * i], data[2 * i + 1]]) as f64
        };
        e.points.push(Point {
            space: rc.space,
            group: 0,
            index: rc.address as u32 + i as u32,
            value,
        });
    }
}

/// Fills an event from a decoded request: function (refined for FC 8/43/90), op,
/// fields and written points. Returns the context needed to decode the response.
pub fn apply_request(
    e: &mut Event,
    fc: FunctionCode,
    req: &ModbusRequest<'_>,
) -> Option<ReadContext> {
    let bits = matches!(fc.0, 1 | 2 | 15);
    match *req {
        ModbusRequest::Read { address, quantity } => {
            e.fields.push("address", address);
            e.fields.push("quantity", quantity);
            return Some(ReadContext {
                space: space_of(fc),
                address,
                quantity,
                bits,
            });
        }
        ModbusRequest::WriteSingle { address, value } => {
            e.fields.push("address", address);
            e.fields.push("value", value);
            let v = if fc.0 == 5 {
                (value == 0xff00) as u8 as f64
            } else {
                value as f64
            };
            e.points.push(Point {
                space: space_of(fc),
                group: 0,
                index: address as u32,
                value: v,
            });
        }
        ModbusRequest::WriteMultiple {
            address,
            quantity,
            values,
        } => {
            e.fields.push("address", address);
            e.fields.push("quantity", quantity);
            push_points(
                e,
                ReadContext {
                    space: space_of(fc),
                    address,
                    quantity,
                    bits,
                },
                values,
            );
        }
        ModbusRequest::MaskWrite {
            address,
            and_mask,
            or_mask,
        } => {
            e.fields.push("address", address);
            e.fields.push("and_mask", and_mask);
            e.fields.push("or_mask", or_mask);
        }
        ModbusRequest::ReadWrite {
            read_address,
            read_quantity,
            write_address,
            write_quantity,
            values,
        } => {
            e.fields.push("read_address", read_address);
            e.fields.push("read_quantity", read_quantity);
            e.fields.push("write_address", write_address);
            e.fields.push("write_quantity", write_quantity);
            let w = ReadContext {
                space: "holding_register",
                address: write_address,
                quantity: write_quantity,
                bits: false,
            };
            push_points(e, w, values);
            return Some(ReadContext {
                address: read_address,
                quantity: read_quantity,
                ..w
            });
        }
        ModbusRequest::Diagnostics { subfunction, .. } => {
            e.fields.push("subfunction", subfunction);
            let (name, op) = diagnostic_subfunction(subfunction);
            e.fields.push_opt("subfunction_name", name);
            e.op = op;
        }
        ModbusRequest::ReadDeviceId {
            read_code,
            object_id,
        } => {
            set_mei(e, MEI_READ_DEVICE_ID);
            e.fields.push("read_device_id_code", read_code);
            e.fields.push("object_id", object_id);
        }
        ModbusRequest::Mei { mei_type } => set_mei(e, mei_type),
        ModbusRequest::ReadFifo { address } => e.fields.push("address", address),
        ModbusRequest::Umas { session, function } => set_umas(e, session, function),
        ModbusRequest::Empty | ModbusRequest::Other(_) => {}
    }
    None
}

fn set_mei(e: &mut Event, mei: u8) {
    e.fields.push("mei_type", mei);
    match mei {
        MEI_READ_DEVICE_ID => {
            e.function = Cow::Borrowed("read_device_identification");
            e.op = OpClass::Diagnostic;
        }
        MEI_CANOPEN => e.function = Cow::Borrowed("canopen_general_reference"),
        _ => {}
    }
}

fn set_umas(e: &mut Event, session: u8, function: u8) {
    let (name, op) = umas_function(function);
    e.function = name;
    e.op = op;
    e.fields.push("umas_function", function);
    e.fields.push("umas_session", session);
}

/// Completes an event from a decoded response: status, read points, identity.
/// `rc` is the request's read context (None when the request was not seen).
pub fn apply_response(
    e: &mut Event,
    rsp: &ModbusResponse<'_>,
    rc: Option<ReadContext>,
    request_seen: bool,
) {
    e.status = Some(Cow::Borrowed("ok"));
    match rsp {
        ModbusResponse::Exception(code) => {
            e.fields.push("exception_code", code.0);
            e.status = Some(match code.name() {
                Some(n) => Cow::Borrowed(n),
                None => Event::unknown_code(code.0),
            });
        }
        ModbusResponse::Data(d) => {
            e.fields.push("byte_count", d.len());
            if let Some(rc) = rc {
                push_points(e, rc, d);
            }
        }
        ModbusResponse::WriteSingle { address, value } if !request_seen => {
            e.fields.push("address", *address);
            e.fields.push("value", *value);
            let fc = if e.fields.get_u64("fc") == Some(5) {
                5
            } else {
                6
            };
            e.points.push(Point {
                space: space_of(FunctionCode(fc)),
                group: 0,
                index: *address as u32,
                value: if fc == 5 {
                    (*value == 0xff00) as u8 as f64
                } else {
                    *value as f64
                },
            });
        }
        ModbusResponse::WriteMultiple { address, quantity } if !request_seen => {
            e.fields.push("address", *address);
            e.fields.push("quantity", *quantity);
        }
        ModbusResponse::MaskWrite {
            address,
            and_mask,
            or_mask,
        } if !request_seen => {
            e.fields.push("address", *address);
            e.fields.push("and_mask", *and_mask);
            e.fields.push("or_mask", *or_mask);
        }
        ModbusResponse::Diagnostics { subfunction, .. } if !request_seen => {
            e.fields.push("subfunction", *subfunction);
            let (name, op) = diagnostic_subfunction(*subfunction);
            e.fields.push_opt("subfunction_name", name);
            e.op = op;
        }
        ModbusResponse::DeviceId(id) => {
            if !request_seen {
                set_mei(e, MEI_READ_DEVICE_ID);
                e.fields.push("read_device_id_code", id.read_code);
            }
            apply_device_id(e, id);
        }
        ModbusResponse::Umas { session, status } => {
            if !request_seen {
                e.fields.push("umas_session", *session);
            }
            e.fields.push("umas_status", *status);
            if *status == 0xfd {
                e.status = Some(Cow::Borrowed("umas_error"));
            }
        }
        _ => {}
    }
}

fn apply_device_id(e: &mut Event, id: &DeviceId<'_>) {
    e.fields.push("conformity_level", id.conformity);
    e.fields.push("more_follows", id.more_follows);
    if id.more_follows {
        e.fields.push("next_object_id", id.next_object_id);
    }
    let mut ident = Identity {
        subject: Some(IdentitySubject::Dst),
        ..Identity::default()
    };
    let text = |v: &[u8]| match Value::text(v) {
        Value::Str(s) => s,
        _ => String::new(),
    };
    for &(oid, v) in &id.objects {
        let Some(key) = device_object_name(oid) else {
            continue;
        };
        if e.fields.get(key).is_some() {
            continue;
        }
        let s = text(v);
        e.fields.push(key, s.clone());
        // Object 1 (product code) is placed after the loop.
        match oid {
            0 => ident.vendor = Some(s),
            2 => ident.firmware = Some(s),
            4 => ident.product = Some(s),
            5 => ident.model = Some(s),
            6 => ident.name = Some(s),
            _ => {}
        }
    }
    // Product falls back to the product code; model name wins over the product code.
    if let Some(code) = e.fields.get_str("product_code").map(str::to_owned) {
        if ident.product.is_none() {
            ident.product = Some(code.clone());
        }
        if let Some(m) = e.fields.get_str("model_name") {
            ident.model = Some(m.to_owned());
        } else {
            ident.model = Some(code);
        }
    }
    if ident
        != (Identity {
            subject: Some(IdentitySubject::Dst),
            ..Identity::default()
        })
    {
        e.identity = Some(Box::new(ident));
    }
}
