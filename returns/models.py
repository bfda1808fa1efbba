"""Returns (RMA) from any channel, refunds, restocking and complaints."""
