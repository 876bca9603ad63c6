# Streaming pipeline: the weight streamer's rings and threads, and link-speed measurement. Storage
# is src/io's; each backend's StreamDevice is listed with the backend (src/cpu, src/cuda).
set(NT_STREAM_SOURCES
  weight_streamer.cc
  measure_links.cc
  measure_dual.cc
  copy_load.cc
)
set(NT_STREAM_TEST_SOURCES
  test/stream/stream_test_file.cc
  test/stream/direct_reader_test.cc
  test/stream/vfio_reader_test.cc
  test/stream/weight_streamer_test.cc
  test/stream/reader_buffers_test.cc
  test/stream/measure_links_test.cc
  test/stream/measure_dual_test.cc
  test/stream/cuda_stream_device_test.cc  # empty without the CUDA backend
)
