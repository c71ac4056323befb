//! The host's own tests, with small guest modules written in WAT: the ABI's
//! formats, every host call's answers, network connections, and how guest failures
//! surface.

#[cfg(test)]
mod codec;
#[cfg(test)]
mod guest_failures;
#[cfg(test)]
mod host_abi;
#[cfg(test)]
mod network;
