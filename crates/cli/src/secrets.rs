//! Where passwords and recovery keys come from: standard input when asked (one line each,
//! in the order the command needs them), the environment (KEEPSAKE_PASSWORD and friends,
//! meant for scripts and tests), or a hidden prompt on the terminal.

use crate::Failure;
use keepsake_core::Password;
use std::io::{BufRead, IsTerminal};
use zeroize::Zeroizing;

fn stdin_line(what: &str) -> Result<Zeroizing<String>, Failure> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Failure::Usage(format!(
            "could not read the {what} from standard input: {e}"
        ))
    })?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\r', '\n']).to_string(),
    ))
}

fn prompt(label: &str) -> Result<Zeroizing<String>, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::NoCredentials(format!(
            "no {} given: set KEEPSAKE_PASSWORD, pass --password-stdin, or run in a terminal",
            label.to_lowercase()
        )));
    }
    rpassword::prompt_password(format!("{label}: "))
        .map(Zeroizing::new)
        .map_err(|e| Failure::NoCredentials(format!("could not read the {label}: {e}")))
}

/// A secret from the environment, if set. One that is not UTF-8 is an error of its own,
/// not "no password given".
fn from_env(name: &str) -> Result<Option<Zeroizing<String>>, Failure> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(Zeroizing::new(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::Usage(format!(
            "{name} is not valid UTF-8 text; set it to the password as typed"
        ))),
    }
}

/// The password of an existing vault.
pub fn password(from_stdin: bool) -> Result<Password, Failure> {
    if from_stdin {
        return Ok(Password::new(stdin_line("password")?.to_string()));
    }
    if let Some(pw) = from_env("KEEPSAKE_PASSWORD")? {
        return Ok(Password::new(pw.to_string()));
    }
    Ok(Password::new(prompt("Password")?.to_string()))
}

/// A password being chosen: typed twice at a prompt, given once anywhere else.
pub fn new_password(from_stdin: bool, env_var: &str) -> Result<Password, Failure> {
    if from_stdin {
        return Ok(Password::new(stdin_line("new password")?.to_string()));
    }
    if let Some(pw) = from_env(env_var)? {
        return Ok(Password::new(pw.to_string()));
    }
    let first = prompt("New password")?;
    let second = prompt("Repeat the new password")?;
    if *first != *second {
        return Err(Failure::Usage(
            "the two passwords differ; nothing was changed".into(),
        ));
    }
    Ok(Password::new(first.to_string()))
}

/// The 24 recovery words.
pub fn recovery_key(from_stdin: bool) -> Result<Zeroizing<String>, Failure> {
    if from_stdin {
        return stdin_line("recovery key");
    }
    if let Some(words) = from_env("KEEPSAKE_RECOVERY_KEY")? {
        return Ok(words);
    }
    prompt("Recovery key (24 words)")
}
