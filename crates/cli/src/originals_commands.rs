//! Where the originals live: all on this device, or on demand from the remotes (with a
//! cache of the ones fetched), and freeing the space of those a remote holds intact.

use crate::commands::{Context, EXIT_FAILED, EXIT_OK, Outcome};
use crate::output::count;
use crate::progress::count_bar;
use clap::{Args, ValueEnum};
use serde_json::json;

/// The cache for originals fetched on demand, unless the user says otherwise.
pub const DEFAULT_CACHE_MB: u64 = 2048;

#[derive(Clone, Copy, ValueEnum)]
pub enum Keep {
    /// Every original on this device
    All,
    /// Originals on the remotes, fetched when needed (thumbnails and previews stay here)
    OnDemand,
}

#[derive(Args)]
pub struct OriginalsArgs {
    /// Switch to keeping all originals here (fetching the missing ones) or on demand;
    /// without it, say which this device does
    keep: Option<Keep>,
    /// On demand: megabytes of fetched originals to keep here
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_CACHE_MB)]
    cache_mb: u64,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn originals(ctx: &Context, args: OriginalsArgs) -> Outcome {
    let mut vault = ctx.unlock()?;
    match args.keep {
        Some(Keep::OnDemand) => {
            vault.set_originals_on_demand(Some(args.cache_mb.saturating_mul(1 << 20)))?
        }
        Some(Keep::All) => {
            // Fetched before the switch: a fetch that fails leaves the device on demand.
            let ids: Vec<_> = vault.items()?.iter().map(|item| item.id).collect();
            keepsake_api::originals_here(&mut vault, &ids)?;
            vault.set_originals_on_demand(None)?;
        }
        None => {}
    }
    let ids: Vec<_> = vault.items()?.iter().map(|item| item.id).collect();
    let away = vault.originals_away(&ids)?.len();
    let limit = vault.originals_on_demand()?;
    if args.json {
        crate::output::json(&json!({
            "keep": if limit.is_some() { "on-demand" } else { "all" },
            "cache_limit": limit,
            "away": away,
            "here": ids.len() - away,
        }))?;
    } else {
        match limit {
            Some(limit) => out!(
                "Originals on demand (fetched ones kept up to {} MB): {} here, {} on the remotes only",
                limit >> 20,
                ids.len() - away,
                away
            ),
            None => out!(
                "Every original on this device ({})",
                count(ids.len(), "item")
            ),
        }
    }
    Ok(EXIT_OK)
}

#[derive(Args)]
pub struct FreeArgs {
    /// Megabytes of originals fetched on demand to keep here from now on
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_CACHE_MB)]
    cache_mb: u64,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn free_up_space(ctx: &Context, args: FreeArgs) -> Outcome {
    let mut vault = ctx.unlock()?;
    if vault.remotes()?.is_empty() {
        return Err(crate::Failure::Missing(
            "no remote holds the originals: add one and sync first".into(),
        ));
    }
    let bar = count_bar("Checking the remote copies");
    let passes = keepsake_api::free_up_space(
        &mut vault,
        args.cache_mb.saturating_mul(1 << 20),
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    let passes = passes?;
    let mut refused = false;
    for (remote, freed) in &passes {
        for (id, why) in &freed.refused {
            eprintln!(
                "error: {remote}: {id}: kept here, the remote's copy is not intact: {why} \
                 (`keepsake verify --remote {remote} --repair` sends it again)"
            );
            refused = true;
        }
    }
    if args.json {
        crate::output::json(&json!(
            passes
                .iter()
                .map(|(remote, freed)| json!({"remote": remote, "report": freed}))
                .collect::<Vec<_>>()
        ))?;
    } else {
        let (files, bytes) = passes
            .iter()
            .fold((0, 0), |(f, b), (_, p)| (f + p.freed, b + p.bytes));
        out!(
            "Freed {:.1} MB: {} now on the remotes only, each checked there first",
            bytes as f64 / 1e6,
            count(files as usize, "original")
        );
        let ids: Vec<_> = vault.items()?.iter().map(|item| item.id).collect();
        let here = ids.len() - vault.originals_away(&ids)?.len();
        if here > 0 {
            out!("{here} originals stay here: not on a remote yet (sync first), or refused");
        }
    }
    Ok(if refused { EXIT_FAILED } else { EXIT_OK })
}
