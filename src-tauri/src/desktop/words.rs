//! Filling in the page's sentences on the Rust side. The tray menu and the notifications are
//! built here, but their words come from the page's catalogues (`ui/locales/`, handed over with
//! `set_tray_labels`) as templates; this fills their placeholders the way `t()` in `ui/i18n.js`
//! does: `{name}` is the value, `{name:이/가}` the value and the Korean particle that fits its
//! last syllable (after a final consonant the first, else the second). A value is put in as it
//! is, never read as a template itself.

/// `template` with each `{key}` / `{key:A/B}` of `values` filled in; unknown keys stay.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let tail = &rest[open..];
        let Some(close) = tail.find('}') else { break };
        out.push_str(&rest[..open]);
        let inner = &tail[1..close];
        if inner.contains('{') {
            // "{ {name}": the first brace is text
            out.push('{');
            rest = &tail[1..];
            continue;
        }
        match placeholder(inner, values) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&tail[..=close]),
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    out
}

/// What `{inner}` stands for, if its key is one of `values`.
fn placeholder(inner: &str, values: &[(&str, &str)]) -> Option<String> {
    let (key, particles) = match inner.split_once(':') {
        Some((key, pair)) => (key, Some(pair.split_once('/')?)),
        None => (inner, None),
    };
    let value = values.iter().find(|(k, _)| *k == key)?.1;
    Some(match particles {
        None => value.to_string(),
        Some((after_consonant, after_vowel)) => {
            format!("{value}{}", particle(value, after_consonant, after_vowel))
        }
    })
}

/// The particle that follows `word`: Hangul by its final consonant; digits and Latin letters
/// as they are read out in Korean (`ui/i18n.js` decides the same way).
fn particle<'a>(word: &str, after_consonant: &'a str, after_vowel: &'a str) -> &'a str {
    let Some(last) = word.trim_end().chars().last() else {
        return after_vowel;
    };
    let consonant = match u32::from(last).checked_sub(0xAC00) {
        Some(code) if code < 11172 => code % 28 != 0,
        _ => "0136789lmnLMN".contains(last),
    };
    if consonant {
        after_consonant
    } else {
        after_vowel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_stay() {
        let knock = "{name} is waiting to join “{room}”";
        assert_eq!(
            fill(knock, &[("name", "Ada"), ("room", "Design review")]),
            "Ada is waiting to join “Design review”"
        );
        assert_eq!(fill("{who} {name}", &[("name", "Ada")]), "{who} Ada");
        assert_eq!(fill("open { brace", &[]), "open { brace");
        assert_eq!(fill("{ {name}}", &[("name", "Ada")]), "{ Ada}");
        // a value that looks like a template is text
        assert_eq!(
            fill("{name}!", &[("name", "{room}"), ("room", "x")]),
            "{room}!"
        );
    }

    #[test]
    fn korean_particles_follow_the_last_syllable() {
        let t = "{name:이/가} “{room}” 회의 입장을 기다립니다";
        let room = ("room", "주간 회의");
        assert_eq!(
            fill(t, &[("name", "민준"), room]),
            "민준이 “주간 회의” 회의 입장을 기다립니다"
        );
        assert_eq!(
            fill(t, &[("name", "지수"), room]),
            "지수가 “주간 회의” 회의 입장을 기다립니다"
        );
        // Latin names and digits as they are read out: "Ada" ends in a vowel, "Sam" and "7"
        // in a consonant
        assert_eq!(fill("{name:이/가}", &[("name", "Ada")]), "Ada가");
        assert_eq!(fill("{name:이/가}", &[("name", "Sam")]), "Sam이");
        assert_eq!(fill("{name:은/는}", &[("name", "방 7")]), "방 7은");
        assert_eq!(fill("{name:이/가}", &[("name", "")]), "가");
    }
}
