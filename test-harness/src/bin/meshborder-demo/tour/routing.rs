//! Step 5: regional routing on us-east's route table. The filter turns
//! `x-user-region` or `cf-ipcountry` into `x-meshborder-route-region`, and the route
//! table sends `eu-west-1` across the border to eu-west, anything else to the app
//! next to us-east.

use super::{Outcome, Target, answered_by, app_reply, app_saw};
use crate::curl;

/// One header, the region it should pick, the app that should answer.
const CASES: [(&str, &str, &str); 3] = [
    ("x-user-region: eu", "eu-west-1", "eu-west-app (eu-west-1)"),
    ("cf-ipcountry: DE", "eu-west-1", "eu-west-app (eu-west-1)"),
    ("cf-ipcountry: US", "us-east-1", "us-east-app (us-east-1)"),
];

/// Each case through us-east.
pub fn by_header_and_country(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/catalog", target.us_east);
    for (header, region, app) in CASES {
        let response = curl::request(&["-H", header, &url])?;
        let seen = app_reply(&response)?;
        outcome.saw(
            "the app saw x-meshborder-route-region",
            app_saw(&seen, "x-meshborder-route-region"),
            region,
        );
        outcome.saw("answered by", Some(&answered_by(&seen)), app);
    }
    Ok(())
}
