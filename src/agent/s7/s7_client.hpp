// The S7comm client on Boost.Asio: TPKT/COTP connection, Setup Communication, Read Var, Write Var.
#pragma once
