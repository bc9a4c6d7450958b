//! Modbus/TCP PDUs and open code newtypes.

/// MBAP header bytes: transaction id (2), protocol id (2), length (2), unit id (1).
/// Modbus Messaging on TCP/IP Implementation Guide v1.0b, 3.1.3.
pub const MBAP_LEN: usize = 7;
/// Largest ADU on TCP. Modbus Messaging on TCP/IP v1.0b, 3.1.3 (260 = 7 + 253).
pub const MAX_ADU_LEN: usize = 260;
/// Smallest MBAP `length` value: unit id + function code.
pub const MIN_LENGTH_FIELD: usize = 2;
/// Largest MBAP `length` value: unit id + 253-byte PDU (MAX_ADU_LEN - 6).
pub const MAX_LENGTH_FIELD: usize = MAX_ADU_LEN - 6;
/// Largest MBAP `length` the session still parses (with the weird
/// `modbus_oversized_adu`): Schneider UMAS program transfers exceed the 260-byte ADU
/// (261 seen in the corpus, modicon_test.pcap); 1024-byte frames bound the damage.
pub const MAX_LENGTH_LENIENT: usize = 1024 - 6;
/// Read coils / discrete inputs quantity limit. Modbus Application Protocol v1.1b3, 6.1/6.2.
pub const MAX_READ_BITS: u16 = 2000;
/// Read holding / input registers quantity limit. MAP v1.1b3, 6.3/6.4.
pub const MAX_READ_REGS: u16 = 125;
/// Write multiple coils quantity limit. MAP v1.1b3, 6.11.
pub const MAX_WRITE_BITS: u16 = 1968;
/// Write multiple registers quantity limit. MAP v1.1b3, 6.12.
pub const MAX_WRITE_REGS: u16 = 123;
/// Read/write multiple registers: write quantity limit. MAP v1.1b3, 6.17.
pub const MAX_RW_WRITE_REGS: u16 = 121;

/// Function code, open: unknown and vendor codes survive as themselves.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// 0x01 Read Coils.
    pub const READ_COILS: FunctionCode = FunctionCode(1);
    /// 0x02 Read Discrete Inputs.
    pub const READ_DISCRETE_INPUTS: FunctionCode = FunctionCode(2);
    /// 0x03 Read Holding Registers.
    pub const READ_HOLDING_REGISTERS: FunctionCode = FunctionCode(3);
    /// 0x04 Read Input Registers.
    pub const READ_INPUT_REGISTERS: FunctionCode = FunctionCode(4);
    /// 0x05 Write Single Coil.
    pub const WRITE_SINGLE_COIL: FunctionCode = FunctionCode(5);
    /// 0x06 Write Single Register.
    pub const WRITE_SINGLE_REGISTER: FunctionCode = FunctionCode(6);
    /// 0x07 Read Exception Status (serial line only).
    pub const READ_EXCEPTION_STATUS: FunctionCode = FunctionCode(7);
    /// 0x08 Diagnostics (serial line only).
    pub const DIAGNOSTICS: FunctionCode = FunctionCode(8);
    /// 0x0B Get Comm Event Counter.
    pub const GET_COMM_EVENT_COUNTER: FunctionCode = FunctionCode(11);
    /// 0x0C Get Comm Event Log.
    pub const GET_COMM_EVENT_LOG: FunctionCode = FunctionCode(12);
    /// 0x0F Write Multiple Coils.
    pub const WRITE_MULTIPLE_COILS: FunctionCode = FunctionCode(15);
    /// 0x10 Write Multiple Registers.
    pub const WRITE_MULTIPLE_REGISTERS: FunctionCode = FunctionCode(16);
    /// 0x11 Report Server ID.
    pub const REPORT_SERVER_ID: FunctionCode = FunctionCode(17);
    /// 0x14 Read File Record.
    pub const READ_FILE_RECORD: FunctionCode = FunctionCode(20);
    /// 0x15 Write File Record.
    pub const WRITE_FILE_RECORD: FunctionCode = FunctionCode(21);
    /// 0x16 Mask Write Register.
    pub const MASK_WRITE_REGISTER: FunctionCode = FunctionCode(22);
    /// 0x17 Read/Write Multiple Registers.
    pub const READ_WRITE_MULTIPLE_REGISTERS: FunctionCode = FunctionCode(23);
    /// 0x18 Read FIFO Queue.
    pub const READ_FIFO_QUEUE: FunctionCode = FunctionCode(24);
    /// 0x2B Encapsulated Interface Transport (MEI).
    pub const ENCAPSULATED_INTERFACE: FunctionCode = FunctionCode(43);
    /// 0x5A Schneider Electric UMAS (vendor extension, not in the public spec).
    pub const UMAS: FunctionCode = FunctionCode(90);

    /// The code with the exception bit cleared.
    pub fn base(self) -> FunctionCode {
        FunctionCode(self.0 & 0x7f)
    }
    /// True when the exception bit (0x80) is set.
    pub fn is_exception(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// Plausible on the wire: 1..=127, or an exception 0x81..=0xFF.
    pub fn is_plausible(self) -> bool {
        self.0 & 0x7f != 0
    }
}

/// MEI type of function 43. MAP v1.1b3, 6.19-6.21.
pub const MEI_CANOPEN: u8 = 13;
/// MEI type 14: Read Device Identification.
pub const MEI_READ_DEVICE_ID: u8 = 14;

/// Exception code, open. MAP v1.1b3, 7.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ExceptionCode(pub u8);

impl ExceptionCode {
    /// Stable snake_case name, `None` for codes outside the specification.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "illegal_function",
            2 => "illegal_data_address",
            3 => "illegal_data_value",
            4 => "server_device_failure",
            5 => "acknowledge",
            6 => "server_device_busy",
            7 => "negative_acknowledge",
            8 => "memory_parity_error",
            10 => "gateway_path_unavailable",
            11 => "gateway_target_device_failed_to_respond",
            _ => return None,
        })
    }
}

/// One Modbus/TCP ADU (MBAP header + PDU), borrowed from the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModbusPdu<'a> {
    /// Transaction identifier pairing request and response.
    pub txid: u16,
    /// Unit identifier (the serial-line slave address behind a gateway).
    pub unit: u8,
    /// Function code (exception bit included).
    pub fc: FunctionCode,
    /// PDU data after the function code.
    pub data: &'a [u8],
}

/// A decoded request PDU body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModbusRequest<'a> {
    /// FC 1-4: read `quantity` bits or registers from `address`.
    Read {
        /// Starting address.
        address: u16,
        /// Number of bits or registers.
        quantity: u16,
    },
    /// FC 5/6: write one coil (0xFF00 / 0x0000) or register.
    WriteSingle {
        /// Address.
        address: u16,
        /// Raw value field.
        value: u16,
    },
    /// FC 15/16: write `quantity` coils or registers, packed in `values`.
    WriteMultiple {
        /// Starting address.
        address: u16,
        /// Number of coils or registers.
        quantity: u16,
        /// Packed values (coils LSB-first, registers big-endian).
        values: &'a [u8],
    },
    /// FC 22: (current AND and_mask) OR (or_mask AND NOT and_mask).
    MaskWrite {
        /// Register address.
        address: u16,
        /// AND mask.
        and_mask: u16,
        /// OR mask.
        or_mask: u16,
    },
    /// FC 23: write then read.
    ReadWrite {
        /// Read starting address.
        read_address: u16,
        /// Registers to read.
        read_quantity: u16,
        /// Write starting address.
        write_address: u16,
        /// Registers to write.
        write_quantity: u16,
        /// Register values written (big-endian).
        values: &'a [u8],
    },
    /// FC 8: diagnostics sub-function with its data.
    Diagnostics {
        /// Sub-function code.
        subfunction: u16,
        /// Data field.
        data: &'a [u8],
    },
    /// FC 43 / MEI 14: read device identification.
    ReadDeviceId {
        /// Read device id code (1 basic, 2 regular, 3 extended, 4 one object).
        read_code: u8,
        /// First object requested.
        object_id: u8,
    },
    /// FC 43 with another MEI type.
    Mei {
        /// MEI type.
        mei_type: u8,
    },
    /// FC 24: read FIFO queue at a pointer address.
    ReadFifo {
        /// FIFO pointer address.
        address: u16,
    },
    /// FC 90: Schneider UMAS.
    Umas {
        /// Session key (0 outside a reservation).
        session: u8,
        /// UMAS function code.
        function: u8,
    },
    /// FC 7, 11, 12, 17: no data.
    Empty,
    /// Anything else: the raw data (file records, vendor codes).
    Other(&'a [u8]),
}

/// A decoded response PDU body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModbusResponse<'a> {
    /// Exception response (fc | 0x80).
    Exception(ExceptionCode),
    /// FC 1-4, 23: byte count then packed bits or registers.
    Data(&'a [u8]),
    /// FC 5/6: echo of the request.
    WriteSingle {
        /// Address.
        address: u16,
        /// Value.
        value: u16,
    },
    /// FC 15/16: address and quantity written.
    WriteMultiple {
        /// Starting address.
        address: u16,
        /// Quantity.
        quantity: u16,
    },
    /// FC 22: echo of the request.
    MaskWrite {
        /// Register address.
        address: u16,
        /// AND mask.
        and_mask: u16,
        /// OR mask.
        or_mask: u16,
    },
    /// FC 8: echo / counters.
    Diagnostics {
        /// Sub-function code.
        subfunction: u16,
        /// Data field.
        data: &'a [u8],
    },
    /// FC 43 / MEI 14.
    DeviceId(DeviceId<'a>),
    /// FC 90: UMAS answer (status 0xFE ok, 0xFD error).
    Umas {
        /// Session key.
        session: u8,
        /// Status byte.
        status: u8,
    },
    /// Anything else.
    Other(&'a [u8]),
}

/// Body of a Read Device Identification response. MAP v1.1b3, 6.21.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceId<'a> {
    /// Read device id code echoed.
    pub read_code: u8,
    /// Conformity level.
    pub conformity: u8,
    /// More objects follow (another request needed).
    pub more_follows: bool,
    /// Next object id to ask for when `more_follows`.
    pub next_object_id: u8,
    /// Objects: (object id, value bytes), validated against the buffer.
    pub objects: Vec<(u8, &'a [u8])>,
}

/// Name of a device identification object. MAP v1.1b3, 6.21, table "Object Id".
pub fn device_object_name(id: u8) -> Option<&'static str> {
    Some(match id {
        0 => "vendor_name",
        1 => "product_code",
        2 => "major_minor_revision",
        3 => "vendor_url",
        4 => "product_name",
        5 => "model_name",
        6 => "user_application_name",
        _ => return None,
    })
}
