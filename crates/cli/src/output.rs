//! Standard output that can fail: a closed pipe (`keepsake ls | head -1`) or a full disk
//! (`keepsake ls > /dev/full`) ends the command with a clear exit, never a panic.

use crate::Failure;
use std::io::{self, Write};

/// Prints a line; a failed write becomes the command's failure (through `?`).
#[macro_export]
macro_rules! out {
    () => {
        $crate::output::write_line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))?
    };
}

pub fn write_line(line: std::fmt::Arguments) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}").map_err(Failure::Output)
}

/// Prints a value (a report, a list) as JSON, pretty.
pub fn json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    write_line(format_args!("{text}"))
}

/// Text from a photo (a name, a camera, a path) as one harmless line: control characters
/// (a newline splitting a row, an escape sequence reaching the terminal) are shown escaped.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// "1 file", "2 files".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(printable("IMG_0001.jpg"), "IMG_0001.jpg");
        assert_eq!(printable("a\nb.jpg"), "a\\nb.jpg");
        assert_eq!(printable("\u{1b}[31mred.jpg"), "\\u{1b}[31mred.jpg");
        assert_eq!(printable("Crémieux.jpg"), "Crémieux.jpg");
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(0, "file"), "0 files");
    }
}
