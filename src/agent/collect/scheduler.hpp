// The poll scheduler: one worker thread per PLC connection runs its poll groups.
#pragma once
