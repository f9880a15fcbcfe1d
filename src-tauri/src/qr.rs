//! QR codes for join links, drawn on the host: a phone scans the code the host shows, and no
//! image service is ever asked.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code for `text`, or `None` if it does not fit in a QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .dark_color(svg::Color("#111111"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_a_join_link() {
        let svg = super::svg("https://10.0.0.2:7447/j/abcd-efgh-jkmn-pqrs").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{svg}");
        assert!(super::svg(&"x".repeat(5000)).is_none());
    }
}
