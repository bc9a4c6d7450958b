//! HTTP/1.x (RFC 9112).
//!
//! Not yet implemented: `register` adds nothing, so flows of this protocol are
//! reported as unknown by the dispatcher.

use crate::registry::Registry;

/// Adds this protocol's dissectors to the registry.
pub fn register(_r: &mut Registry) {}
