//! Type ids, causes and values → event vocabulary; limits.
//!
//! Weird names: `iec104_bad_start`, `iec104_bad_length`, `iec104_bad_control`,
//! `iec104_asdu_truncated`, `iec104_asdu_length_mismatch`, `iec104_sequence_gap`,
//! `iec104_too_many_pending`, `iec104_gap`, `iec104_weird_limit`.

use super::types::TypeId;
use otwatch_core::{OpClass, Point};

/// Commands awaiting confirmation per flow. IEC 60870-5-104, 5.5: k (unacknowledged
/// I-frames) defaults to 12 and is at most 32767; 64 covers real configurations.
pub const MAX_PENDING: usize = 64;
/// Points per event (an ASDU holds at most 127 objects, so this is never hit with
/// well-formed data; kept for symmetry).
pub const MAX_POINTS: usize = 256;
/// Weird events per flow before suppression.
pub const MAX_WEIRDS_PER_FLOW: u32 = 32;

/// The standard mnemonic of a type id (`m_sp_na_1`), IEC 60870-5-101 7.2.1.1 and
/// IEC 60870-5-104 table 1 (time-tagged CP56 types 30-40, 58-64, 107).
pub fn type_name(t: TypeId) -> Option<&'static str> {
    Some(match t.0 {
        1 => "m_sp_na_1",
        2 => "m_sp_ta_1",
        3 => "m_dp_na_1",
        4 => "m_dp_ta_1",
        5 => "m_st_na_1",
        6 => "m_st_ta_1",
        7 => "m_bo_na_1",
        8 => "m_bo_ta_1",
        9 => "m_me_na_1",
        10 => "m_me_ta_1",
        11 => "m_me_nb_1",
        12 => "m_me_tb_1",
        13 => "m_me_nc_1",
        14 => "m_me_tc_1",
        15 => "m_it_na_1",
        16 => "m_it_ta_1",
        17 => "m_ep_ta_1",
        18 => "m_ep_tb_1",
        19 => "m_ep_tc_1",
        20 => "m_ps_na_1",
        21 => "m_me_nd_1",
        30 => "m_sp_tb_1",
        31 => "m_dp_tb_1",
        32 => "m_st_tb_1",
        33 => "m_bo_tb_1",
        34 => "m_me_td_1",
        35 => "m_me_te_1",
        36 => "m_me_tf_1",
        37 => "m_it_tb_1",
        38 => "m_ep_td_1",
        39 => "m_ep_te_1",
        40 => "m_ep_tf_1",
        45 => "c_sc_na_1",
        46 => "c_dc_na_1",
        47 => "c_rc_na_1",
        48 => "c_se_na_1",
        49 => "c_se_nb_1",
        50 => "c_se_nc_1",
        51 => "c_bo_na_1",
        58 => "c_sc_ta_1",
        59 => "c_dc_ta_1",
        60 => "c_rc_ta_1",
        61 => "c_se_ta_1",
        62 => "c_se_tb_1",
        63 => "c_se_tc_1",
        64 => "c_bo_ta_1",
        70 => "m_ei_na_1",
        100 => "c_ic_na_1",
        101 => "c_ci_na_1",
        102 => "c_rd_na_1",
        103 => "c_cs_na_1",
        104 => "c_ts_na_1",
        105 => "c_rp_na_1",
        106 => "c_cd_na_1",
        107 => "c_ts_ta_1",
        110 => "p_me_na_1",
        111 => "p_me_nb_1",
        112 => "p_me_nc_1",
        113 => "p_ac_na_1",
        120 => "f_fr_na_1",
        121 => "f_sr_na_1",
        122 => "f_sc_na_1",
        123 => "f_ls_na_1",
        124 => "f_af_na_1",
        125 => "f_sg_na_1",
        126 => "f_dr_ta_1",
        127 => "f_sc_nb_1",
        _ => return None,
    })
}

/// Bytes of one information element (with its time tag) for a type, not counting
/// the IOA. IEC 60870-5-101 7.3; `None` for unknown or variable-size types (125).
pub fn element_size(t: TypeId) -> Option<usize> {
    Some(match t.0 {
        1 | 3 | 45 | 46 | 47 | 70 | 100 | 101 | 105 | 113 => 1,
        2 | 4 => 4,
        5 | 21 | 104 | 106 => 2,
        6 => 5,
        7 | 13 | 15 | 20 | 50 | 112 => 5,
        8 | 14 | 16 | 58 | 59 | 60 => 8,
        9 | 11 | 48 | 49 | 110 | 111 => 3,
        10 | 12 | 17 => 6,
        18 | 19 | 103 => 7,
        30 | 31 => 8,
        32 | 107 => 9,
        33 | 36 | 37 | 63 => 12,
        34 | 35 | 38 | 61 | 62 => 10,
        39 | 40 | 64 => 11,
        51 | 122 | 124 => 4,
        102 => 0,
        120 => 6,
        121 => 7,
        123 => 5,
        126 => 13,
        127 => 16,
        _ => return None,
    })
}

/// Operation class of a type id. Monitor-direction types (1-44, 70) are
/// one-way reports of process data: `read`.
pub fn type_op(t: TypeId) -> OpClass {
    match t.0 {
        1..=44 => OpClass::Read,
        70 => OpClass::Diagnostic, // end of initialisation: the station restarted
        45 | 46 | 47 | 58 | 59 | 60 => OpClass::Control, // single/double/step commands
        48..=51 | 61..=64 => OpClass::Write, // set-points, bitstring
        100..=102 => OpClass::Read, // (counter) interrogation, read
        103 => OpClass::Other,     // clock synchronisation
        104 | 106 | 107 => OpClass::Diagnostic, // test, delay acquisition
        105 => OpClass::Control,   // reset process
        110..=113 => OpClass::Write, // parameters
        _ => OpClass::Other,       // file transfer and unknown
    }
}

/// Cause of transmission names (cause bits 0-5). IEC 60870-5-101 7.2.3.
pub fn cot_name(c: u8) -> Option<&'static str> {
    const GROUPS: [&str; 16] = [
        "interrogated_group_1",
        "interrogated_group_2",
        "interrogated_group_3",
        "interrogated_group_4",
        "interrogated_group_5",
        "interrogated_group_6",
        "interrogated_group_7",
        "interrogated_group_8",
        "interrogated_group_9",
        "interrogated_group_10",
        "interrogated_group_11",
        "interrogated_group_12",
        "interrogated_group_13",
        "interrogated_group_14",
        "interrogated_group_15",
        "interrogated_group_16",
    ];
    Some(match c {
        1 => "periodic",
        2 => "background",
        3 => "spontaneous",
        4 => "initialized",
        5 => "request",
        6 => "activation",
        7 => "activation_con",
        8 => "deactivation",
        9 => "deactivation_con",
        10 => "activation_term",
        11 => "return_remote",
        12 => "return_local",
        13 => "file_transfer",
        20 => "interrogated_station",
        21..=36 => GROUPS[(c - 21) as usize],
        37 => "counter_interrogated_general",
        38 => "counter_interrogated_group_1",
        39 => "counter_interrogated_group_2",
        40 => "counter_interrogated_group_3",
        41 => "counter_interrogated_group_4",
        44 => "unknown_type_id",
        45 => "unknown_cause",
        46 => "unknown_common_address",
        47 => "unknown_ioa",
        _ => return None,
    })
}

fn i16le(e: &[u8], at: usize) -> Option<f64> {
    e.get(at..at + 2)
        .map(|s| i16::from_le_bytes([s[0], s[1]]) as f64)
}

fn f32le(e: &[u8], at: usize) -> Option<f64> {
    e.get(at..at + 4)
        .map(|s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64)
}

fn u32le(e: &[u8], at: usize) -> Option<f64> {
    e.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64)
}

/// The process value of one element, for the common types: single/double point,
/// step position, bitstring, measured normalized (÷32768)/scaled/short float,
/// integrated totals, and the matching commands and parameters.
pub fn element_value(t: TypeId, e: &[u8]) -> Option<f64> {
    let b0 = e.first().copied();
    match t.0 {
        1 | 2 | 30 | 45 | 58 => b0.map(|b| (b & 0x01) as f64),
        3 | 4 | 31 | 46 | 59 | 47 | 60 => b0.map(|b| (b & 0x03) as f64),
        5 | 6 | 32 => b0.map(|b| (((b & 0x7f) << 1) as i8 >> 1) as f64),
        7 | 8 | 33 | 51 | 64 => u32le(e, 0),
        9 | 10 | 34 | 21 | 48 | 61 | 110 => i16le(e, 0).map(|v| v / 32768.0),
        11 | 12 | 35 | 49 | 62 | 111 => i16le(e, 0),
        13 | 14 | 36 | 50 | 63 | 112 => f32le(e, 0),
        15 | 16 | 37 => e
            .get(..4)
            .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f64),
        _ => None,
    }
}

/// A point in space `ioa`: group = type id, index = IOA.
pub fn point(t: TypeId, ioa: u32, value: f64) -> Point {
    Point {
        space: "ioa",
        group: t.0 as u32,
        index: ioa,
        value,
    }
}

/// Command qualifier details: (select bit, qualifier). SCO/DCO/RCO carry S/E in
/// bit 7 and QU in bits 2-6; set-points carry S/E in bit 7 of QOS; QOI/QCC/QRP are
/// the whole byte.
pub fn qualifier(t: TypeId, e: &[u8]) -> (Option<bool>, Option<u8>) {
    match t.0 {
        45 | 46 | 47 | 58 | 59 | 60 => match e.first() {
            Some(b) => (Some(b & 0x80 != 0), Some((b >> 2) & 0x1f)),
            None => (None, None),
        },
        48 | 49 | 61 | 62 => match e.get(2) {
            Some(b) => (Some(b & 0x80 != 0), Some(b & 0x7f)),
            None => (None, None),
        },
        50 | 63 => match e.get(4) {
            Some(b) => (Some(b & 0x80 != 0), Some(b & 0x7f)),
            None => (None, None),
        },
        100 | 101 | 105 | 113 => (None, e.first().copied()),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sizes_ops() {
        assert_eq!(type_name(TypeId(13)), Some("m_me_nc_1"));
        assert_eq!(element_size(TypeId(36)), Some(12));
        assert_eq!(type_op(TypeId(45)), OpClass::Control);
        assert_eq!(type_op(TypeId(50)), OpClass::Write);
        assert_eq!(type_op(TypeId(100)), OpClass::Read);
        assert_eq!(type_op(TypeId(105)), OpClass::Control);
        assert_eq!(cot_name(3), Some("spontaneous"));
        assert_eq!(cot_name(25), Some("interrogated_group_5"));
        assert_eq!(cot_name(0), None);
        for t in 0..=255u8 {
            // Every named type has a size, except the variable F_SG_NA_1.
            if type_name(TypeId(t)).is_some() && t != 125 {
                assert!(element_size(TypeId(t)).is_some(), "{t}");
            }
        }
    }

    #[test]
    fn values() {
        assert_eq!(element_value(TypeId(13), &[0, 0, 0xc0, 0x3f, 0]), Some(1.5));
        assert_eq!(element_value(TypeId(9), &[0x00, 0x40, 0]), Some(0.5));
        assert_eq!(element_value(TypeId(11), &[0xff, 0xff, 0]), Some(-1.0));
        assert_eq!(element_value(TypeId(5), &[0x7f, 0]), Some(-1.0));
        assert_eq!(element_value(TypeId(46), &[0x82]), Some(2.0));
        assert_eq!(qualifier(TypeId(45), &[0x81]), (Some(true), Some(0)));
    }
}
