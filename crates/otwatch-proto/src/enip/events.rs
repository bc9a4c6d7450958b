//! CIP calls → events: service names and operation classes, status names, the
//! vendor table, and limits.
//!
//! Weird names: `enip_unknown_command`, `enip_bad_options`, `enip_length_mismatch`,
//! `enip_bad_status`, `enip_cpf_truncated`, `enip_cip_truncated`,
//! `enip_multiple_truncated`, `enip_too_many_pending`, `enip_gap`,
//! `enip_weird_limit`, `enip_io_malformed`.

use super::types::Command;
use otwatch_core::{Event, OpClass, Point};
use std::borrow::Cow;

/// Requests awaiting a response per flow. Vol. 2 2-4: a target buffers few
/// outstanding requests; 64 is generous for pipelined connected messaging.
pub const MAX_PENDING: usize = 64;
/// Points kept per event.
pub const MAX_POINTS: usize = 256;
/// Weird events per flow before further weirds are suppressed (one
/// `enip_weird_limit` marks the cut).
pub const MAX_WEIRDS_PER_FLOW: u32 = 32;

/// Name and operation class of an encapsulation command that carries no CIP.
pub fn command_name(c: Command) -> (Cow<'static, str>, OpClass) {
    let (n, op) = match c {
        Command::NOP => ("nop", OpClass::Session),
        Command::LIST_SERVICES => ("list_services", OpClass::Discovery),
        Command::LIST_IDENTITY => ("list_identity", OpClass::Discovery),
        Command::LIST_INTERFACES => ("list_interfaces", OpClass::Discovery),
        Command::REGISTER_SESSION => ("register_session", OpClass::Session),
        Command::UNREGISTER_SESSION => ("unregister_session", OpClass::Session),
        Command::SEND_RR_DATA => ("send_rr_data", OpClass::Other),
        Command::SEND_UNIT_DATA => ("send_unit_data", OpClass::Other),
        Command::INDICATE_STATUS => ("indicate_status", OpClass::Diagnostic),
        Command::CANCEL => ("cancel", OpClass::Session),
        other => return (Event::unknown_code(other.0), OpClass::Other),
    };
    (Cow::Borrowed(n), op)
}

/// Static command name for fields (`unknown` for undefined commands).
pub fn command_field(c: Command) -> &'static str {
    match command_name(c).0 {
        Cow::Borrowed(s) => s,
        Cow::Owned(_) => "unknown",
    }
}

/// Encapsulation status names. Vol. 2 table 2-3.3.
pub fn encap_status_name(s: u32) -> Cow<'static, str> {
    Cow::Borrowed(match s {
        0x00 => "ok",
        0x01 => "invalid_or_unsupported_command",
        0x02 => "insufficient_memory",
        0x03 => "incorrect_data",
        0x64 => "invalid_session_handle",
        0x65 => "invalid_length",
        0x69 => "unsupported_protocol_revision",
        _ => return Cow::Owned(format!("encap_status-{s}")),
    })
}

/// CIP general status names. Vol. 1 appendix B-1.
pub fn general_status_name(s: u8) -> Cow<'static, str> {
    const NAMES: [&str; 45] = [
        "ok",
        "connection_failure",
        "resource_unavailable",
        "invalid_parameter_value",
        "path_segment_error",
        "path_destination_unknown",
        "partial_transfer",
        "connection_lost",
        "service_not_supported",
        "invalid_attribute_value",
        "attribute_list_error",
        "already_in_requested_mode",
        "object_state_conflict",
        "object_already_exists",
        "attribute_not_settable",
        "privilege_violation",
        "device_state_conflict",
        "reply_data_too_large",
        "fragmentation_of_primitive",
        "not_enough_data",
        "attribute_not_supported",
        "too_much_data",
        "object_does_not_exist",
        "fragmentation_not_in_progress",
        "no_stored_attribute_data",
        "store_operation_failure",
        "request_packet_too_large",
        "response_packet_too_large",
        "missing_attribute_list_entry",
        "invalid_attribute_value_list",
        "embedded_service_error",
        "vendor_specific_error",
        "invalid_parameter",
        "write_once_already_written",
        "invalid_reply_received",
        "buffer_overflow",
        "invalid_message_format",
        "key_failure_in_path",
        "path_size_invalid",
        "unexpected_attribute_in_list",
        "invalid_member_id",
        "member_not_settable",
        "group2_only_server_failure",
        "unknown_modbus_error",
        "attribute_not_gettable",
    ];
    match NAMES.get(s as usize) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(format!("general_status-{s}")),
    }
}

/// Well-known CIP classes whose object-specific services otwatch names.
pub mod class {
    /// Identity object.
    pub const IDENTITY: u32 = 0x01;
    /// Message router.
    pub const MESSAGE_ROUTER: u32 = 0x02;
    /// Connection manager.
    pub const CONNECTION_MANAGER: u32 = 0x06;
    /// File object.
    pub const FILE: u32 = 0x37;
    /// PCCC object (Rockwell).
    pub const PCCC: u32 = 0x67;
    /// Logix symbol object.
    pub const SYMBOL: u32 = 0x6b;
    /// Logix template object.
    pub const TEMPLATE: u32 = 0x6c;
}

/// Name and operation class of a CIP request service, given the addressed class
/// (from the EPATH) and whether the path is symbolic (a tag name).
pub fn service_name(service: u8, cls: Option<u32>, symbolic: bool) -> (Cow<'static, str>, OpClass) {
    use OpClass::*;
    let common = match service {
        0x01 => Some(("get_attributes_all", Read)),
        0x02 => Some(("set_attributes_all", Write)),
        0x03 => Some(("get_attribute_list", Read)),
        0x04 => Some(("set_attribute_list", Write)),
        0x05 => Some(("reset", Control)),
        0x06 => Some(("start", Control)),
        0x07 => Some(("stop", Control)),
        0x08 => Some(("create", Write)),
        0x09 => Some(("delete", Write)),
        0x0a => Some(("multiple_service_packet", Other)),
        0x0d => Some(("apply_attributes", Write)),
        0x0e => Some(("get_attribute_single", Read)),
        0x10 => Some(("set_attribute_single", Write)),
        0x11 => Some(("find_next_object_instance", Read)),
        0x14 => Some(("error_response", Other)),
        0x15 => Some(("restore", Program)),
        0x16 => Some(("save", Program)),
        0x17 => Some(("nop", Other)),
        0x18 => Some(("get_member", Read)),
        0x19 => Some(("set_member", Write)),
        0x1a => Some(("insert_member", Write)),
        0x1b => Some(("remove_member", Write)),
        0x1c => Some(("group_sync", Other)),
        _ => None,
    };
    if let Some((n, op)) = common {
        // Anything that changes a file object transfers a program or configuration.
        let op = if cls == Some(class::FILE) && op == Write {
            Program
        } else {
            op
        };
        return (Cow::Borrowed(n), op);
    }
    let specific = match (cls, service) {
        (Some(class::CONNECTION_MANAGER), 0x4e) => Some(("forward_close", Session)),
        (Some(class::CONNECTION_MANAGER), 0x52) => Some(("unconnected_send", Other)),
        (Some(class::CONNECTION_MANAGER), 0x54) => Some(("forward_open", Session)),
        (Some(class::CONNECTION_MANAGER), 0x5b) => Some(("large_forward_open", Session)),
        (Some(class::CONNECTION_MANAGER), 0x56) => Some(("get_connection_data", Diagnostic)),
        (Some(class::CONNECTION_MANAGER), 0x57) => Some(("search_connection_data", Diagnostic)),
        (Some(class::CONNECTION_MANAGER), 0x5a) => Some(("get_connection_owner", Diagnostic)),
        (Some(class::FILE), 0x4b) => Some(("initiate_upload", Program)),
        (Some(class::FILE), 0x4c) => Some(("initiate_download", Program)),
        (Some(class::FILE), 0x4d) => Some(("initiate_partial_read", Program)),
        (Some(class::FILE), 0x4e) => Some(("initiate_partial_write", Program)),
        (Some(class::FILE), 0x4f) => Some(("upload_transfer", Program)),
        (Some(class::FILE), 0x50) => Some(("download_transfer", Program)),
        (Some(class::FILE), 0x51) => Some(("clear_file", Program)),
        (Some(class::PCCC), 0x4b) => Some(("execute_pccc", Other)),
        _ => None,
    };
    if let Some((n, op)) = specific {
        return (Cow::Borrowed(n), op);
    }
    // Logix tag services: symbolic paths, or the symbol/template and Logix
    // controller-internal classes (0x72, 0xb2) seen with them in real captures.
    let logix = symbolic || matches!(cls, Some(class::SYMBOL | class::TEMPLATE | 0x72 | 0xb2));
    if logix {
        let l = match service {
            0x4c => Some(("read_tag", Read)),
            0x4d => Some(("write_tag", Write)),
            0x4e => Some(("read_modify_write_tag", Write)),
            0x52 => Some(("read_tag_fragmented", Read)),
            0x53 => Some(("write_tag_fragmented", Write)),
            0x55 => Some(("get_instance_attribute_list", Read)),
            _ => None,
        };
        if let Some((n, op)) = l {
            return (Cow::Borrowed(n), op);
        }
    }
    (Event::unknown_code(service), OpClass::Other)
}

/// Operation class of a PCCC command/function pair (DF1 protocol and command set,
/// Rockwell 1770-6.5.16, ch. 7): typed/logical reads, writes, and mode changes.
pub fn pccc_op(cmd: u8, fnc: u8) -> (&'static str, OpClass) {
    match (cmd, fnc) {
        (0x0f, 0x68 | 0xa1 | 0xa2 | 0x01) => ("pccc_read", OpClass::Read),
        (0x0f, 0x67 | 0xa9 | 0xaa | 0xab | 0x00) => ("pccc_write", OpClass::Write),
        (0x0f, 0x80) => ("pccc_change_mode", OpClass::Control),
        (0x0f, 0x11 | 0x12 | 0x17 | 0x18) => ("pccc_program", OpClass::Program),
        (0x06, 0x03) => ("pccc_diagnostic_status", OpClass::Diagnostic),
        (0x06, _) => ("pccc_diagnostic", OpClass::Diagnostic),
        (0x01 | 0x02 | 0x04 | 0x05, _) => ("pccc_read", OpClass::Read),
        (0x08, _) => ("pccc_write", OpClass::Write),
        _ => ("pccc_other", OpClass::Other),
    }
}

/// CIP vendor names for common vendors (ODVA vendor id registry). Unknown ids
/// render as `vendor-<id>`.
pub fn vendor_name(id: u16) -> Cow<'static, str> {
    Cow::Borrowed(match id {
        1 => "Rockwell Automation/Allen-Bradley",
        5 => "Rockwell Automation/Reliance Elec.",
        26 => "Festo Corporation",
        40 => "Wago Corporation",
        44 => "Yaskawa Electric America, Inc.",
        46 => "ABB Industrial Systems",
        47 => "Omron Corporation",
        48 => "TURCk, Inc.",
        50 => "Real Time Automation (C&ID)",
        57 => "Pepperl + Fuchs",
        68 => "Eaton Electrical",
        90 => "HMS Industrial Networks AB",
        119 => "EXOR Electronic R & D",
        145 => "Siemens Energy & Automation/Drives",
        161 => "Mitsubishi Electric Corporation",
        243 => "Schneider Automation, Inc.",
        283 => "Hilscher GmbH",
        356 => "Fanuc Robotics America",
        674 => "Automated Solutions",
        808 => "SICK AG",
        1015 => "Weidmueller Interface GmbH & Co. KG",
        _ => return Cow::Owned(format!("vendor-{id}")),
    })
}

/// CIP device type names (Vol. 1 6-7, common profiles).
pub fn device_type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x00 => "generic_device",
        0x02 => "ac_drive",
        0x03 => "motor_overload",
        0x04 => "limit_switch",
        0x05 => "inductive_proximity_switch",
        0x06 => "photoelectric_sensor",
        0x07 => "general_purpose_discrete_io",
        0x09 => "resolver",
        0x0c => "communications_adapter",
        0x0e => "programmable_logic_controller",
        0x10 => "position_controller",
        0x13 => "dc_drive",
        0x15 => "contactor",
        0x16 => "motor_starter",
        0x17 => "soft_start",
        0x18 => "human_machine_interface",
        0x1a => "mass_flow_controller",
        0x1b => "pneumatic_valve",
        0x1c => "vacuum_pressure_gauge",
        0x1d => "process_control_value",
        0x1e => "residual_gas_analyzer",
        0x1f => "dc_power_generator",
        0x20 => "rf_power_generator",
        0x21 => "turbomolecular_vacuum_pump",
        0x22 => "encoder",
        0x23 => "safety_discrete_io",
        0x24 => "fluid_flow_controller",
        0x25 => "cip_motion_drive",
        0x26 => "compo_net_repeater",
        0x28 => "cip_modbus_device",
        0x2b => "generic_device_keyable",
        0x2c => "managed_switch",
        _ => return None,
    })
}

/// 32-bit FNV-1a of a tag name: the `group` of `cip_tag` points, so values of one
/// tag key to one series without a string in [`Point`].
pub fn tag_hash(tag: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in tag.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Points of a tag value list: space `cip_tag`, group = [`tag_hash`] of the tag
/// name (without element index), index = element position.
pub fn tag_points(tag_base: &str, first: u32, values: &[f64]) -> Vec<Point> {
    let g = tag_hash(tag_base);
    values
        .iter()
        .take(MAX_POINTS)
        .enumerate()
        .map(|(i, v)| Point {
            space: "cip_tag",
            group: g,
            index: first.wrapping_add(i as u32),
            value: *v,
        })
        .collect()
}

/// A point for a CIP attribute value: space `cip`, group = class, index =
/// instance << 16 | attribute.
pub fn attribute_point(cls: u32, inst: u32, attr: u32, data: &[u8]) -> Option<Point> {
    let value = match data {
        [a] => *a as f64,
        [a, b] => u16::from_le_bytes([*a, *b]) as f64,
        [a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]) as f64,
        _ => return None,
    };
    Some(Point {
        space: "cip",
        group: cls,
        index: (inst << 16) | (attr & 0xffff),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(service_name(0x07, Some(0x8e), false).1, OpClass::Control);
        assert_eq!(service_name(0x05, Some(1), false).1, OpClass::Control);
        assert_eq!(
            service_name(0x10, Some(0xf5), false),
            ("set_attribute_single".into(), OpClass::Write)
        );
        assert_eq!(service_name(0x10, Some(0x37), false).1, OpClass::Program);
        assert_eq!(
            service_name(0x4c, None, true),
            ("read_tag".into(), OpClass::Read)
        );
        assert_eq!(service_name(0x4d, None, true).1, OpClass::Write);
        assert_eq!(service_name(0x54, Some(6), false).1, OpClass::Session);
        assert_eq!(service_name(0x4c, Some(0x8e), false).0, "unknown-76");
        assert_eq!(vendor_name(1), "Rockwell Automation/Allen-Bradley");
        assert_eq!(vendor_name(9999), "vendor-9999");
        assert_eq!(general_status_name(8), "service_not_supported");
        assert_eq!(general_status_name(200), "general_status-200");
    }
}
