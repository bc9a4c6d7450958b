//! LLDP (IEEE 802.1AB) and CDP.
//!
//! Not yet implemented: `register` adds nothing, so flows of this protocol are
//! reported as unknown by the dispatcher.

use crate::registry::Registry;

/// Adds this protocol's dissectors to the registry.
pub fn register(_r: &mut Registry) {}
