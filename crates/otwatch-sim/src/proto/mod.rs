//! Protocol encoders: each writes one PDU (application payload) into a `Vec<u8>`.
//!
//! Every encoder follows its specification closely enough that Wireshark 4.x
//! dissects it without malformed-packet or expert errors (checked by a test).

pub mod bacnet;
pub mod dnp3;
pub mod enip;
pub mod goose;
pub mod iec104;
pub mod it;
pub mod modbus;
pub mod opcua;
pub mod s7;
pub mod smb;

/// Big/little-endian append helpers on a byte buffer.
pub trait Put {
    /// Appends a byte.
    fn u8(&mut self, v: u8);
    /// Appends a big-endian u16.
    fn be16(&mut self, v: u16);
    /// Appends a big-endian u32.
    fn be32(&mut self, v: u32);
    /// Appends a little-endian u16.
    fn le16(&mut self, v: u16);
    /// Appends a little-endian u32.
    fn le32(&mut self, v: u32);
    /// Appends a little-endian u64.
    fn le64(&mut self, v: u64);
    /// Appends bytes.
    fn bytes(&mut self, b: &[u8]);
    /// Writes a big-endian u16 at `at`.
    fn set_be16(&mut self, at: usize, v: u16);
    /// Writes a little-endian u16 at `at`.
    fn set_le16(&mut self, at: usize, v: u16);
    /// Writes a little-endian u32 at `at`.
    fn set_le32(&mut self, at: usize, v: u32);
}

impl Put for Vec<u8> {
    fn u8(&mut self, v: u8) {
        self.push(v);
    }
    fn be16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn be32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn le16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn le32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn le64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
    fn set_be16(&mut self, at: usize, v: u16) {
        self[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
    fn set_le16(&mut self, at: usize, v: u16) {
        self[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set_le32(&mut self, at: usize, v: u32) {
        self[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
}
