//! Whether this process can have a given amount of memory, asked before the password
//! derivation allocates it. Without the check, a memory limit shows as "invalid
//! key-derivation parameters: out of memory", and a machine short of memory lets the
//! allocation through (overcommit) and then the out-of-memory killer ends the process,
//! with no message at all.

use crate::VaultError;

/// Room for the rest of the process (decoders, catalog, thread stacks) beside the
/// derivation's own blocks.
const HEADROOM: u64 = 64 << 20;

/// Refuses with the amounts when `needed` bytes (plus headroom) are not available: the
/// smaller of the system's available memory and what the address-space limit leaves.
/// Where neither can be read (not Linux), it does not refuse.
pub(crate) fn check_available(needed: u64) -> Result<(), VaultError> {
    let available = [system_available(), address_space_left()]
        .into_iter()
        .flatten()
        .min();
    match available {
        Some(available) if needed + HEADROOM > available => Err(VaultError::NotEnoughMemory {
            needed_mib: (needed + HEADROOM) >> 20,
            available_mib: available >> 20,
        }),
        _ => Ok(()),
    }
}

/// `MemAvailable` from /proc/meminfo: what can be allocated without swapping.
fn system_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    kib_field(&text, "MemAvailable:")
}

/// The soft address-space limit (`ulimit -v`, `prlimit --as`) less what is mapped now.
fn address_space_left() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max address space"))?;
    let soft: u64 = line
        .trim_start_matches("Max address space")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?; // "unlimited" does not parse: no limit.
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let mapped = kib_field(&status, "VmSize:")?;
    Some(soft.saturating_sub(mapped))
}

/// A "Name:   1234 kB" field, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_in_bytes_and_more_than_there_is_is_refused() {
        let meminfo = "MemTotal:       24684092 kB\nMemAvailable:    2048 kB\n";
        assert_eq!(kib_field(meminfo, "MemAvailable:"), Some(2048 * 1024));
        assert_eq!(kib_field(meminfo, "SwapTotal:"), None);
        if cfg!(target_os = "linux") {
            assert!(check_available(1 << 20).is_ok());
            let refused = check_available(u64::MAX >> 2);
            assert!(
                matches!(refused, Err(VaultError::NotEnoughMemory { .. })),
                "{refused:?}"
            );
        }
    }
}
