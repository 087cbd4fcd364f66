#ifndef TCPSTATE_PLUGIN_H
#define TCPSTATE_PLUGIN_H

void tcpstate_register_protoinfo(void);
void tcpstate_register_handoff(void);

#endif
