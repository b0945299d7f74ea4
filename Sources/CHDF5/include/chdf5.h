int chdf5_placeholder(void);
