# Defaults of the development run (sourced by scripts/run-dev.sh after PORT is set): the demo
# serves as a Nantong deployment, and, with the console SMS backend, gets a hotline number and a
# public address so that posters print their SMS lines and SMS links are whole addresses. A
# variable already set (even empty) is kept; production never runs this file.
# The demo's sites are Nantong's: rank place names as a Nantong deployment would (通州 is Nantong's
# district before Beijing's). Set DEPLOYMENT_REGION (even empty) to choose otherwise.
export DEPLOYMENT_REGION="${DEPLOYMENT_REGION-320600}"
if [ "${SMS_BACKEND:-console}" = "console" ]; then
  # An obviously fictional number (all zeros): the console backend sends nothing anyway. With
  # Twilio, the hotline is TWILIO_FROM_NUMBER and the public address the tunnel's, so no default.
  export SMS_HOTLINE_NUMBER="${SMS_HOTLINE_NUMBER-+8613800000000}"
  export PUBLIC_BASE_URL="${PUBLIC_BASE_URL-http://127.0.0.1:${PORT:-5000}}"
fi
