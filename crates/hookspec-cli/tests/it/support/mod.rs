//! Shared test support: an HTTP client for deliveries and observers, and deliberately
//! flawed receivers for the checker's tests.

// Items here serve several test modules (some owned by other parts of the suite); not
// every one is used by every build of the test binary.
#![allow(dead_code)]

pub mod gemini_receivers;
pub mod hostile;
pub mod http;
pub mod in_process;
pub mod json;
pub mod official_receivers;
pub mod process;
pub mod receivers;
pub mod reports;
pub mod server;
pub mod tls;

#[cfg(test)]
mod sanity;
