//! Arbitrary bytes analysed as Tsx with every built-in rule; every fix built,
//! verified and applied (`fix_all`). See `vigil_fuzz::check_analysis`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::engine::Language;

fuzz_target!(init: vigil_fuzz::warm_up(), |data: &[u8]| vigil_fuzz::fuzz_analysis(Language::Tsx, data));
