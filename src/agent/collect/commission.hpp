// `logbot-agent read` and `logbot-agent write`: the commissioning commands.
#pragma once
