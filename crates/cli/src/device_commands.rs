//! `keepsake device`: remember this device for unlock through the OS keyring, forget it,
//! list the devices that can, revoke one.

use crate::Failure;
use crate::commands::{Context, EXIT_OK, Outcome};
use clap::Subcommand;
use keepsake_api::OsUnlockError;

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Let this device unlock the vault through the OS keyring (asks for the password once)
    Enable {
        /// A name for the devices list [default: the host name]
        #[arg(long)]
        name: Option<String>,
    },
    /// Stop this device unlocking through the OS keyring
    Disable,
    /// The devices that can unlock through their OS keyring
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Take unlock away from a device (a lost laptop, say), by its id from `device ls`
    Revoke { id: String },
}

/// OS-store failures are not about the vault: exit 1 with the store's reason.
pub fn os_failure(e: OsUnlockError) -> Failure {
    match e {
        OsUnlockError::Vault(e) => Failure::Vault(e),
        other => Failure::System(other.to_string()),
    }
}

pub fn device(ctx: &Context, command: DeviceCommand) -> Outcome {
    match command {
        DeviceCommand::Enable { name } => {
            let mut vault = ctx.unlock_with_password("remember a device")?;
            let (id, name) =
                keepsake_api::remember_this_device(&mut vault, name).map_err(os_failure)?;
            out!("This device ({name}, id {id}) now unlocks the vault through the system keyring.");
        }
        DeviceCommand::Disable => {
            keepsake_api::forget_this_device(&mut ctx.unlock()?).map_err(os_failure)?;
            out!("This device no longer unlocks the vault through the system keyring.");
        }
        DeviceCommand::Ls { json } => list(&ctx.unlock()?, json)?,
        DeviceCommand::Revoke { id } => return revoke(ctx, &id),
    }
    Ok(EXIT_OK)
}

fn list(vault: &keepsake_core::UnlockedVault, json: bool) -> Result<(), Failure> {
    let devices = keepsake_api::devices(vault)?;
    if json {
        crate::output::json(&devices)?;
    } else if devices.is_empty() {
        out!("No device unlocks this vault through its OS keyring.");
    } else {
        for device in devices {
            let d = &device.info;
            out!(
                "{}  {}  created {}  last used {}{}",
                d.id,
                d.name,
                d.created,
                d.last_used.as_deref().unwrap_or("never"),
                if device.this_device {
                    "  (this device)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

/// Revokes a device: a new key epoch, wrapped under the password given to unlock.
fn revoke(ctx: &Context, id: &str) -> Outcome {
    let (mut vault, password) = ctx.unlock_keeping_password("revoke a device")?;
    let shown = std::cell::Cell::new(false);
    keepsake_api::keeping_this_device(&mut vault, Some(id), |vault| {
        vault.remove_device(id, &password, |recovery| {
            crate::commands::reveal_new_recovery_key(recovery, &shown)
        })
    })
    .map_err(os_failure)?;
    out!(
        "Device {id} can no longer unlock this vault (once this header syncs, anywhere), and \
         the vault key changed: its secret cannot read photos added from now on. What it could \
         read before stays readable to it; if it could reach a remote, change that remote's \
         credentials too. Other remembered devices ask for the password once."
    );
    crate::commands::recovery_key_unchanged(&shown)
}
