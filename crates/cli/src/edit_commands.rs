//! `keepsake edit`: fixes that never touch the originals (a date set or shifted, a place,
//! a caption, a turn), and taking them back.

use crate::Failure;
use crate::commands::{Context, EXIT_FAILED, EXIT_OK, Outcome, parse_ids};
use crate::output::{count, printable};
use clap::{ArgGroup, Args};
use keepsake_core::EditText;

#[derive(Args)]
#[command(group(ArgGroup::new("change").required(true).multiple(true)
    .args(["date", "shift", "zone_from_place", "place", "caption", "rotate", "undo"])))]
pub struct EditArgs {
    /// Ids of the items (from `keepsake ls`)
    #[arg(value_name = "ID", required = true)]
    ids: Vec<String>,
    /// Set the date taken: YYYY-MM-DD moves each to that day at its own time; add a time
    /// (T18:02:11) and an offset (+02:00, Z) to set those too
    #[arg(long, value_name = "DATE", conflicts_with = "shift")]
    date: Option<String>,
    /// Move the date taken by a span: +2h, -1d, +1y2mo, -30m (y, mo, w, d, h, m, s)
    #[arg(long, value_name = "±DURATION", allow_hyphen_values = true)]
    shift: Option<String>,
    /// Put the date in the time zone of where it was taken (a date without an offset keeps
    /// its time and gains the zone's offset; one with an offset is told in local time)
    #[arg(long, conflicts_with_all = ["date", "shift"])]
    zone_from_place: bool,
    /// Set where it was taken: LAT,LON in decimal degrees, or none to hide the place
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    place: Option<String>,
    /// Set the caption ("" removes it)
    #[arg(long, value_name = "TEXT")]
    caption: Option<String>,
    /// Turn photos clockwise by 90, 180 or 270 degrees
    #[arg(long, value_name = "DEGREES", value_parser = ["90", "180", "270"])]
    rotate: Option<String>,
    /// Take back every fix made to these items (the file's own date and place return)
    #[arg(long, conflicts_with_all = ["date", "shift", "zone_from_place", "place", "caption", "rotate"])]
    undo: bool,
}

pub fn edit(ctx: &Context, args: EditArgs) -> Outcome {
    let ids = parse_ids(&args.ids)?;
    let turns = args.rotate.is_some() || args.undo;
    let edit = EditText {
        date: args.date,
        shift: args.shift,
        zone_from_place: args.zone_from_place,
        place: args.place,
        caption: args.caption,
        rotate: args
            .rotate
            .map(|d| d.parse().expect("clap allows 90, 180, 270")),
    }
    .parse()
    .map_err(Failure::Usage)?;
    let mut vault = ctx.unlock()?;
    // Turning (or its undo) draws the pictures again from the originals.
    if turns {
        keepsake_api::originals_here(&mut vault, &ids)?;
    }
    let mut library = vault.library()?;
    let report = if args.undo {
        library.undo_edits(&ids)?
    } else {
        library.edit(&ids, &edit)?
    };
    for (id, why) in &report.failed {
        eprintln!("keepsake: {id} was not turned: {}", printable(why));
    }
    let edited = report.edited.len() - report.failed.len();
    if args.undo {
        out!("{} back as their files have them", count(edited, "item"));
    } else {
        out!(
            "{} edited (the originals are unchanged)",
            count(edited, "item")
        );
    }
    Ok(if report.failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}
